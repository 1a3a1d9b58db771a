"""The web layer: one static page and a small JSON API over a task's page service
(:func:`colorization.tasks.colorization.page.ColorizeService` for colorization).

FastAPI rather than Gradio: the page needs point hints in a chosen colour placed by clicking or
painting on the photo, with undo, and a hints file in the format ``predict --hints`` reads;
Gradio's image editor yields a painted layer, not points, and its front end is a large bundle.
One hand-written page keeps the interaction exactly what the task needs, and FastAPI's
validation and test client keep the server small and testable.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence
from importlib import resources
from typing import Any

import torch
from fastapi import FastAPI, HTTPException
from fastapi.responses import HTMLResponse
from PIL import Image
from pydantic import BaseModel
from starlette.middleware.trustedhost import TrustedHostMiddleware

from colorization.data.images import upright_rgb_tensor
from colorization.errors import USER_ERRORS


class Upload(BaseModel):
    image: str  # a data URL (data:image/...;base64,...)


class ColorizeRequest(BaseModel):
    photo: str
    points: list[dict[str, Any]] = []


def decode_data_url(url: str) -> torch.Tensor:
    """A photo sent as a data URL (or plain base64) -> uint8 RGB (3, H, W), upright."""
    payload = url.split(",", 1)[1] if url.startswith("data:") else url
    try:
        with Image.open(io.BytesIO(base64.b64decode(payload, validate=True))) as image:
            return upright_rgb_tensor(image)
    except Exception as error:  # bad base64 or an undecodable image: the same answer
        raise ValueError(f"The upload is not a readable image ({error}).") from None


def page() -> str:
    return resources.files("colorization.app").joinpath("static/index.html").read_text("utf-8")


LOCAL_HOSTS = ("127.0.0.1", "localhost", "[::1]")


def create_app(
    service: Any, model: dict[str, Any], allowed_hosts: Sequence[str] = LOCAL_HOSTS
) -> FastAPI:
    """The app; ``model`` describes the network on the page (task, class, working size).
    Requests whose Host header names another host are refused (400): a page of another site
    cannot reach this server through DNS rebinding (Starlette's TrustedHostMiddleware)."""
    app = FastAPI(title="colorization", docs_url=None, redoc_url=None)
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=list(allowed_hosts))

    @app.get("/", response_class=HTMLResponse)
    def index() -> str:
        return page()

    @app.get("/api/model")
    def describe() -> dict[str, Any]:
        return model

    @app.post("/api/photos")
    def upload(upload: Upload) -> dict[str, Any]:
        try:
            return service.add_photo(decode_data_url(upload.image))
        except USER_ERRORS as error:
            raise HTTPException(status_code=400, detail=str(error)) from None

    @app.post("/api/colorize")
    def colorize(request: ColorizeRequest) -> dict[str, Any]:
        try:
            return service.colorize(request.photo, request.points)
        except KeyError as error:
            raise HTTPException(status_code=404, detail=error.args[0]) from None
        except USER_ERRORS as error:
            raise HTTPException(status_code=400, detail=str(error)) from None

    return app
