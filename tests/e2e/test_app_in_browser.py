"""The page in a real headless browser (Debian's chromium driven by Selenium): load it, upload
a photo, place one hint, and see the colorized image change near the hint."""

from __future__ import annotations

import base64
import io
import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import torch
from helpers import write_image
from PIL import Image

from colorization.app.server import create_app
from colorization.inference.spec import InferenceSpec
from colorization.tasks.colorization.inference import Colorizer
from colorization.tasks.colorization.page import ColorizeService

CHROMIUM, DRIVER = shutil.which("chromium"), shutil.which("chromedriver")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None or DRIVER is None,
    reason="no browser: install Debian's chromium and chromium-driver (.ci/run does)",
)
# Chromium as root in a closed network: no sandbox, no background connections.
CHROMIUM_FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1280,900",
)


class HintEcho:
    """Colours each pixel with its hint: the change near a hint is certain."""

    spec = InferenceSpec("colorization", 4, 2, settings={"working_size": 48})

    def __call__(self, inputs: torch.Tensor) -> torch.Tensor:
        return inputs[:, 1:3]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def server_url() -> Iterator[str]:
    import uvicorn

    model = {"task": "colorization", "model": "HintEcho", "source": "test", "working_size": 48}
    app = create_app(ColorizeService(Colorizer(HintEcho())), model)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "the app did not start"
    yield f"http://127.0.0.1:{port}/"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def browser(tmp_path: Path):
    from selenium import webdriver

    os.environ.setdefault("SE_OFFLINE", "true")  # never let Selenium Manager download a driver
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=webdriver.ChromeService(DRIVER))
    yield driver
    driver.quit()


def shown_image(browser) -> np.ndarray:
    source = browser.find_element("id", "result").get_attribute("src")
    data = base64.b64decode(source.split(",", 1)[1])
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB")).astype(int)


def wait_for(condition, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("the page did not get there in time")


def test_upload_a_photo_place_a_hint_and_see_the_colour_near_it(
    server_url, browser, tmp_path
) -> None:
    from selenium.webdriver.common.action_chains import ActionChains

    write_image(tmp_path / "grey.png", torch.full((3, 96, 128), 140, dtype=torch.uint8))
    browser.get(server_url)
    wait_for(lambda: "Model: HintEcho" in browser.find_element("id", "model").text)
    browser.find_element("id", "file").send_keys(str(tmp_path / "grey.png"))
    status = browser.find_element("id", "status")
    wait_for(lambda: "hints: 0 ·" in status.text)
    before = shown_image(browser)
    assert before.shape == (96, 128, 3)

    canvas = browser.find_element("id", "hints")
    scale = canvas.size["width"] / 128  # photo pixels per CSS pixel, from the element's centre
    ActionChains(browser).move_to_element_with_offset(
        canvas, round(30 * scale), round(-20 * scale)
    ).click().perform()
    wait_for(lambda: "hints: 1 ·" in status.text)
    after = shown_image(browser)
    x, y = 64 + 30, 48 - 20  # where the click landed in the photo
    near, far = after[y - 1 : y + 2, x - 1 : x + 2], after[85:90, 5:10]
    red, blue = near[..., 0].mean(), near[..., 2].mean()
    assert red > blue + 30, f"no hint colour near the click: {near.mean(axis=(0, 1))}"
    assert np.abs(far - before[85:90, 5:10]).max() <= 2, "pixels far from the hint changed"
    browser.save_screenshot(str(tmp_path / "page.png"))

    browser.find_element("id", "undo").click()
    wait_for(lambda: "hints: 0 ·" in status.text)
    assert np.abs(shown_image(browser) - before).max() <= 2
    hints_link = browser.find_element("id", "download-hints")
    assert hints_link.get_attribute("download") == "grey_hints.json"
