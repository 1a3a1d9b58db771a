"""The page in a real headless browser (Debian's chromium driven by Selenium), for every task:
it opens on a sample photo and its result (never a broken image), an upload updates the result,
the before/after slider moves, a bad upload is one line and the page stays usable; and for
colorization, a hint placed by a click colours the result near it."""

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
from page_networks import NETWORKS, page_service
from PIL import Image

from colorization.app.__main__ import sample_loaders
from colorization.app.server import create_app

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
    "--window-size=1400,1000",
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def serve(app) -> Iterator[str]:
    import uvicorn

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


@pytest.fixture(scope="module")
def server_url() -> Iterator[str]:
    """The colorization page with a network that colours each pixel with its hint."""
    model = {"task": "colorization", "model": "HintEcho", "source": "test"}
    yield from serve(create_app(page_service("colorization"), model))


@pytest.fixture(scope="module", params=sorted(NETWORKS))
def task_page(request) -> Iterator[tuple[str, str]]:
    """(task, URL): the task's page with the built-in sample photos."""
    task = request.param
    model = {"task": task, "model": type(NETWORKS[task]).__name__, "source": "test"}
    app = create_app(page_service(task), model, samples=sample_loaders())
    for url in serve(app):
        yield task, url


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


def shown_image(browser, element: str = "after") -> np.ndarray:
    source = browser.find_element("id", element).get_attribute("src")
    data = base64.b64decode(source.split(",", 1)[1])
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB")).astype(int)


def wait_for(condition, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("the page did not get there in time")


BROKEN_IMAGES = """return [...document.images].filter((image) => image.offsetParent !== null
    && !(image.complete && image.naturalWidth > 0)).map((image) => image.id);"""


def no_broken_image(browser) -> None:
    assert browser.execute_script(BROKEN_IMAGES) == [], "a broken image is shown"


def status(browser) -> tuple[str, str]:
    element = browser.find_element("id", "status")
    return element.text, element.get_attribute("class")


@pytest.mark.slow
def test_each_task_page_opens_on_a_sample_and_answers_uploads(task_page, browser, tmp_path):
    from selenium.webdriver.common.keys import Keys

    task, url = task_page
    browser.get(url)
    no_broken_image(browser)  # as it opens, before any result
    wait_for(lambda: status(browser)[0].startswith("Updated in"))
    no_broken_image(browser)
    first = shown_image(browser)
    assert first.shape[0] > 100, "the sample's result is not shown"
    assert browser.find_element("id", "sample").get_attribute("value") == "chelsea"
    browser.save_screenshot(str(tmp_path / f"{task}.png"))

    slider = browser.find_element("id", "split")
    clip = lambda: browser.find_element("id", "after-clip").value_of_css_property("clip-path")  # noqa: E731
    assert "50%" in clip()
    slider.send_keys(Keys.ARROW_RIGHT * 10)
    wait_for(lambda: "60%" in clip())

    write_image(tmp_path / "mine.png", torch.full((3, 70, 90), 120, dtype=torch.uint8))
    browser.find_element("id", "file").send_keys(str(tmp_path / "mine.png"))
    expected = (70, 90)  # superres: shrunk 2 times and enlarged back
    wait_for(lambda: shown_image(browser).shape[:2] == expected)
    wait_for(lambda: status(browser)[0].startswith("Updated in"))
    links = browser.find_elements("css selector", "#downloads a")
    assert links and links[0].get_attribute("download").startswith("mine_")

    (tmp_path / "notes.png").write_bytes(b"these are not the pixels you are looking for")
    browser.find_element("id", "file").send_keys(str(tmp_path / "notes.png"))
    wait_for(lambda: status(browser)[1] == "error")
    assert "The upload is not a readable image" in status(browser)[0]
    no_broken_image(browser)
    assert shown_image(browser).shape[:2] == expected  # the last result stays

    if task == "segmentation":
        assert browser.find_element("id", "opacity-tool").is_displayed()
        assert "red" in browser.find_element("id", "legend").text
    if task in ("denoising", "superres"):
        assert "PSNR" in browser.find_element("id", "note").text
    option = browser.find_elements("css selector", "#options select")
    if option:  # another choice: the page updates with it
        before = browser.find_element("id", "note").text
        option[0].send_keys(Keys.ARROW_DOWN)
        wait_for(lambda: browser.find_element("id", "note").text != before)
        assert status(browser)[1] != "error"
    if task == "denoising":  # the upload taken as noisy: the input and "before" are the upload
        from selenium.webdriver.support.ui import Select

        Select(option[0]).select_by_value("noisy")
        wait_for(lambda: browser.find_element("id", "note").text == "")
        wait_for(lambda: np.abs(shown_image(browser, "before") - 120).max() <= 1)


def test_upload_a_photo_place_a_hint_and_see_the_colour_near_it(
    server_url, browser, tmp_path
) -> None:
    from selenium.webdriver.common.action_chains import ActionChains

    write_image(tmp_path / "grey.png", torch.full((3, 96, 128), 140, dtype=torch.uint8))
    browser.get(server_url)
    wait_for(lambda: "Model: HintEcho" in browser.find_element("id", "model").text)
    no_broken_image(browser)
    assert "Choose a photo" in status(browser)[0]  # no sample offered: no result yet
    browser.find_element("id", "file").send_keys(str(tmp_path / "grey.png"))
    note = browser.find_element("id", "note")
    wait_for(lambda: note.text == "hints: 0")
    before = shown_image(browser)
    assert before.shape == (96, 128, 3)

    canvas = browser.find_element("id", "input")
    scale = canvas.size["width"] / 128  # photo pixels per CSS pixel, from the element's centre
    ActionChains(browser).move_to_element_with_offset(
        canvas, round(30 * scale), round(-20 * scale)
    ).click().perform()
    wait_for(lambda: note.text == "hints: 1")
    after = shown_image(browser)
    x, y = 64 + 30, 48 - 20  # where the click landed in the photo
    near, far = after[y - 1 : y + 2, x - 1 : x + 2], after[85:90, 5:10]
    red, blue = near[..., 0].mean(), near[..., 2].mean()
    assert red > blue + 30, f"no hint colour near the click: {near.mean(axis=(0, 1))}"
    assert np.abs(far - before[85:90, 5:10]).max() <= 2, "pixels far from the hint changed"

    browser.find_element("id", "undo").click()
    wait_for(lambda: note.text == "hints: 0")
    assert np.abs(shown_image(browser) - before).max() <= 2
    hints_link = browser.find_element("css selector", "#downloads a:nth-child(2)")
    assert hints_link.get_attribute("download") == "grey_hints.json"
