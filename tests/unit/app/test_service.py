"""The app's colorize function and its JSON API (FastAPI's test client, no browser)."""

from __future__ import annotations

import base64
import io
import json

import numpy as np
import pytest
import torch
from fastapi.testclient import TestClient
from helpers import photo
from PIL import Image

from colorization.app.server import create_app, decode_data_url
from colorization.inference.spec import InferenceSpec
from colorization.tasks.colorization.inference import Colorizer
from colorization.tasks.colorization.page import ColorizeService


class HintEcho:
    spec = InferenceSpec("colorization", 4, 2, settings={"working_size": 32})

    def __call__(self, inputs: torch.Tensor) -> torch.Tensor:
        return inputs[:, 1:3]


def data_url(image: torch.Tensor, fmt: str = "PNG") -> str:
    buffer = io.BytesIO()
    Image.fromarray(image.permute(1, 2, 0).numpy()).save(buffer, fmt)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def decoded(url: str) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1]))))


@pytest.fixture
def service() -> ColorizeService:
    return ColorizeService(Colorizer(HintEcho()), max_side=64)


def test_colorize_paints_near_the_hint_and_returns_the_hints_file(service) -> None:
    grey = torch.full((3, 41, 57), 120, dtype=torch.uint8)
    photo_id = service.add_photo(grey)["photo"]
    plain = decoded(service.colorize(photo_id, [])["image"]).astype(int)
    result = service.colorize(photo_id, [{"x": 40, "y": 20, "hex": "#00c000", "radius": 2}])
    hinted = decoded(result["image"]).astype(int)
    assert hinted.shape == (41, 57, 3) and result["hints"] == 1 and result["seconds"] > 0
    assert hinted[20, 40, 1] > plain[20, 40, 1] + 20  # green near the hint
    assert np.abs(hinted[35, 5] - plain[35, 5]).max() <= 2  # unchanged far away
    hints_file = json.loads(result["hints_file"])
    assert (hints_file["width"], hints_file["height"]) == (57, 41)
    assert hints_file["points"] == [{"x": 40, "y": 20, "hex": "#00c000", "radius": 2}]


def test_large_uploads_are_scaled_and_old_photos_forgotten(service) -> None:
    added = service.add_photo(photo(100, 160))
    assert (added["width"], added["height"], added["scaled_from"]) == (64, 40, [160, 100])
    assert decoded(added["input"]).shape[:2] == (40, 64)
    service.kept_bytes = added_bytes = service.kept()  # room for that one photo only
    assert added_bytes > 0
    service.add_photo(photo(10, 10))
    with pytest.raises(KeyError, match="upload it again"):
        service.photo(added["photo"])


def test_bad_hints_and_bad_uploads_are_explained(service) -> None:
    photo_id = service.add_photo(photo(20, 30))["photo"]
    with pytest.raises(ValueError, match="outside the 30 x 20 photo"):
        service.colorize(photo_id, [{"x": 30, "y": 0, "hex": "#fff"}])
    with pytest.raises(ValueError, match="not a colour"):
        service.colorize(photo_id, [{"x": 1, "y": 0, "hex": "blue"}])
    with pytest.raises(ValueError, match="not a readable image"):
        decode_data_url("data:image/png;base64,bm90IGFuIGltYWdl")


def test_the_api_serves_the_page_and_colorizes(service) -> None:
    model = {"task": "colorization", "model": "HintEcho", "source": "test", "working_size": 32}
    client = TestClient(create_app(service, model), base_url="http://127.0.0.1:7860")
    page = client.get("/")
    assert page.status_code == 200 and 'id="input"' in page.text
    described = client.get("/api/model").json()
    assert described["layout"]["hints"] and described["samples"] == []
    assert {key: described[key] for key in model} == model
    uploaded = client.post("/api/photos", json={"image": data_url(photo(30, 50), "JPEG")})
    assert uploaded.status_code == 200 and uploaded.json()["width"] == 50
    photo_id = uploaded.json()["photo"]
    answer = client.post(
        "/api/colorize", json={"photo": photo_id, "points": [{"x": 3, "y": 4, "rgb": [1, 2, 3]}]}
    )
    assert answer.status_code == 200 and decoded(answer.json()["image"]).shape == (30, 50, 3)
    bad = client.post(
        "/api/colorize", json={"photo": photo_id, "points": [{"x": 99, "y": 4, "hex": "#fff"}]}
    )
    assert bad.status_code == 400 and "outside" in bad.json()["detail"]
    for number in ("Infinity", "NaN"):  # JSON readers accept them: a 400, never a 500
        body = f'{{"photo": "{photo_id}", "points": [{{"x": {number}, "y": 4, "hex": "#fff"}}]}}'
        refused = client.post(
            "/api/colorize", content=body, headers={"content-type": "application/json"}
        )
        assert refused.status_code == 400 and "x must be a whole number" in refused.json()["detail"]
    gone = client.post("/api/colorize", json={"photo": "nope", "points": []})
    assert gone.status_code == 404 and "upload it again" in gone.json()["detail"]
    junk = client.post("/api/photos", json={"image": "data:image/png;base64,AAAA"})
    assert junk.status_code == 400 and "not a readable image" in junk.json()["detail"]


def test_a_request_for_another_host_is_refused(service) -> None:
    """DNS rebinding: a page of another site resolving its name to 127.0.0.1 sends its own Host."""
    app = create_app(service, {"task": "colorization"})
    assert TestClient(app, base_url="http://localhost:7860").get("/api/model").status_code == 200
    assert TestClient(app, base_url="http://evil.example").get("/api/model").status_code == 400
    shared = create_app(service, {}, allowed_hosts=["studio.lan"])
    assert TestClient(shared, base_url="http://studio.lan:7860").get("/").status_code == 200


def test_photos_are_kept_by_their_memory_not_their_count() -> None:
    """Small photos: many are kept; the budget drops the least recently used first."""
    one = ColorizeService(Colorizer(HintEcho()), max_side=64).add_photo
    kept = ColorizeService(Colorizer(HintEcho()), max_side=64, kept_bytes=20 * 40 * 50 * 4 * 2)
    ids = [kept.add_photo(photo(40, 50, seed=s))["photo"] for s in range(30)]
    assert len(kept.photos) >= 12 and kept.kept() <= kept.kept_bytes
    assert ids[-1] in kept.photos and ids[0] not in kept.photos
    assert one(photo(40, 50))["width"] == 50


def test_a_port_out_of_range_is_a_usage_error(capsys) -> None:
    from colorization.app.__main__ import main

    with pytest.raises(SystemExit) as stopped:
        main(["run", "--port", "99999"])
    assert stopped.value.code == 2 and "--port must be within 0-65535" in capsys.readouterr().err
