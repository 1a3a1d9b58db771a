"""Every task's page service (``colorization/tasks/*/page.py``) on a network with a known
answer, and the web API over each: samples offered at once, uploads, options, the errors a page
shows in one line, the limits on uploads, and 20 users at once within the memory budget."""

from __future__ import annotations

import base64
import io
import re
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
import torch
from fastapi.testclient import TestClient
from helpers import photo
from page_networks import NETWORKS, Broken, page_service
from PIL import Image

from colorization.app.server import create_app, decode_data_url
from colorization.tasks.registry import task_plugins

TASKS = sorted(NETWORKS)


def decoded(url: str) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1])))).astype(int)


def data_url(image: torch.Tensor, fmt: str = "PNG") -> str:
    buffer = io.BytesIO()
    Image.fromarray(image.permute(1, 2, 0).numpy()).save(buffer, fmt)
    return f"data:image/{fmt.lower()};base64," + base64.b64encode(buffer.getvalue()).decode()


def smooth_photo(height: int, width: int) -> torch.Tensor:
    """A photo whose left half is red and right half blue-green, in gentle gradients."""
    y = torch.linspace(60, 200, height)[:, None].expand(height, width)
    left = torch.arange(width)[None].expand(height, width) < width // 2
    red = torch.stack([y, y * 0.3, y * 0.3])
    cyan = torch.stack([y * 0.3, y * 0.8, y])
    return torch.where(left, red, cyan).round().to(torch.uint8)


def client_for(service, **kwargs) -> TestClient:
    samples = {"smooth": lambda: smooth_photo(60, 90)}
    model = {"task": "t", "model": "m", "source": "test"}
    return TestClient(
        create_app(service, model, samples=samples, **kwargs), base_url="http://127.0.0.1"
    )


def test_every_task_has_a_page() -> None:
    assert {name for name, plugin in task_plugins().items() if plugin.page is None} == set()
    assert set(TASKS) == set(task_plugins())


@pytest.mark.parametrize("task", TASKS)
def test_a_photo_of_an_odd_size_goes_through_each_page(task) -> None:
    service = page_service(task)
    added = service.add_photo(smooth_photo(41, 57))
    assert decoded(added["input"]).shape[:2] == (41, 57)
    result = service.update(added["photo"])
    after = decoded(result["after"])
    expected = (40, 56) if task == "superres" else (41, 57)  # shrunk 2x: cropped to even sides
    assert after.shape[:2] == expected
    if result["before"] is not None:
        assert decoded(result["before"]).shape == after.shape
    assert result["seconds"] > 0 and result["downloads"][0]["url"] == result["image"]
    assert result["downloads"][0]["suffix"] == service.layout.result_name or task == "segmentation"
    layout = service.layout.as_json()
    assert layout["title"] and layout["input_label"] and layout["output_label"]


def test_segmentation_shows_its_classes_as_a_layer_with_a_legend() -> None:
    service = page_service("segmentation")
    result = service.update(service.add_photo(smooth_photo(40, 60))["photo"])
    layer = decoded(result["layer"])
    assert layer.shape == (40, 60, 4)
    assert (layer[:, :25, 3] == 255).all() and (layer[:, 35:, 3] == 0).all()  # red half only
    assert decoded(result["image"]).max() == 1  # the mask: one class index per pixel
    assert "red 50.0 %" in result["note"]
    assert service.layout.legend == (("red", "#ff4040"),)
    assert [d["suffix"] for d in result["downloads"]] == ["mask", "overlay"]


def test_denoising_adds_the_chosen_noise_and_measures_what_the_model_removes() -> None:
    service = page_service("denoising")
    clean = smooth_photo(48, 64)
    photo_id = service.add_photo(clean)["photo"]
    by_level = {}
    for level in ("15", "50"):
        result = service.update(photo_id, options={"noise": level})
        noisy = decoded(result["input"])
        by_level[level] = np.abs(noisy - clean.permute(1, 2, 0).numpy()).mean()
        noisy_db, denoised_db = map(float, re.findall(r"([\d.]+) dB", result["note"]))
        assert denoised_db > noisy_db  # the mean filter removes noise
    assert by_level["50"] > 2 * by_level["15"]
    again = service.update(photo_id, options={"noise": "15"})
    assert again["input"] == service.update(photo_id, options={"noise": "15"})["input"]  # seeded
    as_noisy = service.update(photo_id, options={"noise": "noisy"})
    assert as_noisy["input"] is None and as_noisy["note"] == ""


def test_superres_compares_with_bicubic_and_the_original() -> None:
    service = page_service("superres")
    photo_id = service.add_photo(smooth_photo(41, 60))["photo"]
    shrunk = service.update(photo_id)
    assert decoded(shrunk["input"]).shape[:2] == (20, 30)
    assert decoded(shrunk["after"]).shape == decoded(shrunk["before"]).shape == (40, 60, 3)
    assert "20 x 30" not in shrunk["note"] and "30 x 20 -> 60 x 40; PSNR" in shrunk["note"]
    as_is = service.update(photo_id, options={"input": "as_is"})
    assert decoded(as_is["after"]).shape == (82, 120, 3) and "PSNR" not in as_is["note"]
    assert service.layout.title == "Enlarge a photo 2 times"


def test_a_flare_page_offers_the_built_in_photos_with_a_flare() -> None:
    service = page_service("flare")
    plain = smooth_photo(50, 70)
    flared = service.sample(plain, "smooth")
    assert flared.shape == plain.shape and flared.float().mean() > plain.float().mean()
    assert torch.equal(flared, service.sample(plain, "smooth"))  # the same on every load


def test_options_and_points_a_page_does_not_take_are_refused() -> None:
    denoising = page_service("denoising")
    photo_id = denoising.add_photo(photo(20, 30))["photo"]
    with pytest.raises(ValueError, match="Noise: '7' is not one of 15, 25, 50, noisy"):
        denoising.update(photo_id, options={"noise": "7"})
    with pytest.raises(ValueError, match="Unknown option 'sigma'"):
        denoising.update(photo_id, options={"sigma": "25"})
    with pytest.raises(ValueError, match="takes no hints"):
        denoising.update(photo_id, [{"x": 1, "y": 1, "hex": "#fff"}])


@pytest.mark.parametrize("task", TASKS)
def test_the_api_offers_a_sample_at_once_and_answers_an_upload(task) -> None:
    client = client_for(page_service(task))
    model = client.get("/api/model").json()
    assert model["samples"] == ["smooth"] and model["layout"]["title"]
    sample = client.post("/api/samples/smooth")
    assert sample.status_code == 200, sample.text
    shown = client.post("/api/update", json={"photo": sample.json()["photo"]})
    assert shown.status_code == 200 and shown.json()["after"].startswith("data:image/png")
    uploaded = client.post("/api/photos", json={"image": data_url(photo(30, 44), "JPEG")})
    assert uploaded.status_code == 200 and uploaded.json()["width"] == 44
    assert client.post("/api/samples/nope").status_code == 404
    junk = client.post("/api/photos", json={"image": "data:image/png;base64,AAAA"})
    assert junk.status_code == 400 and "not a readable image" in junk.json()["detail"]
    other_host = TestClient(client.app, base_url="http://evil.example")
    assert other_host.get("/api/model").status_code == 400


@pytest.mark.parametrize("task", TASKS)
def test_a_model_that_fails_is_one_line_and_the_page_stays_usable(task) -> None:
    broken = client_for(page_service(task, Broken(NETWORKS[task])))
    answer = broken.post("/api/samples/smooth")
    if answer.status_code == 200:  # the network runs on an update, not on an upload
        answer = broken.post("/api/update", json={"photo": answer.json()["photo"]})
    assert answer.status_code == 500
    assert answer.json()["detail"] == (
        "The model failed on this photo (RuntimeError: out of memory (injected))."
    )
    assert broken.get("/api/model").status_code == 200
    assert broken.post("/api/samples/smooth").status_code in (200, 500)


def test_uploads_beyond_the_limits_are_refused_before_they_are_read() -> None:
    client = client_for(page_service("flare"), max_upload_bytes=2**20)
    big = client.post("/api/photos", json={"image": "A" * (2**20 + 10)})
    assert big.status_code == 413 and "larger than 1 MiB" in big.json()["detail"]

    def chunks():  # no Content-Length: counted as it arrives
        yield b'{"image": "'
        yield from (b"A" * 2**16 for _ in range(40))
        yield b'"}'

    headers = {"content-type": "application/json"}
    streamed = client.post("/api/photos", content=chunks(), headers=headers)
    assert streamed.status_code == 413 and "larger than 1 MiB" in streamed.json()["detail"]
    huge = Image.new("RGB", (9000, 6000))  # 54 megapixels, a small PNG
    buffer = io.BytesIO()
    huge.save(buffer, "PNG")
    url = "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()
    with pytest.raises(ValueError, match="9000 x 6000; the page takes up to 50 megapixels"):
        decode_data_url(url)
    assert client.post("/api/photos", json={"image": url}).status_code == 400


@pytest.mark.parametrize("task", TASKS)
def test_twenty_users_at_once_stay_within_the_memory_budget(task) -> None:
    """20 users upload and update at once; the kept photos stay within the budget (the least
    recently used dropped), and every request is answered."""
    service = page_service(task, max_side=64, kept_bytes=8 * 64 * 48 * 3 * 4)
    client = client_for(service)

    def user(seed: int) -> tuple[int, int]:
        url = data_url(photo(48, 64, seed=seed))
        photo_id = client.post("/api/photos", json={"image": url}).json()["photo"]
        return client.post("/api/update", json={"photo": photo_id}).status_code, seed

    with ThreadPoolExecutor(20) as pool:
        answers = list(pool.map(user, range(20)))
    assert {status for status, _ in answers} <= {200, 404}  # 404: dropped, "upload it again"
    assert sum(status == 200 for status, _ in answers) >= 8
    assert 0 < service.kept() <= service.kept_bytes and len(service.photos) <= 20


def test_the_server_serves_the_page_and_its_api_only_on_this_computer_by_default() -> None:
    from colorization.app.__main__ import argument_parser

    assert argument_parser().parse_args(["run"]).host == "127.0.0.1"
    client = client_for(page_service("flare"))
    assert client.get("/").status_code == 200
    for path in ("/docs", "/openapi.json", "/static/index.html", "/..%2f..%2fetc%2fpasswd"):
        assert client.get(path).status_code == 404, path


def test_a_photo_to_photo_task_without_a_page_of_its_own_gets_the_restoring_page() -> None:
    """``tiled_task_plugin``'s default page (a new task's, until it writes its own)."""
    from page_networks import PageArgs

    from colorization.tasks.restore_page import restore_page

    service = restore_page(NETWORKS["flare"], PageArgs())
    assert service.layout.title == "Restore a photo (flare)"
    plain = smooth_photo(30, 40)
    result = service.update(service.add_photo(plain)["photo"])
    assert np.array_equal(decoded(result["after"]), plain.permute(1, 2, 0).numpy())
