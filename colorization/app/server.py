"""The web layer: one static page and a small JSON API over a task's page service
(:class:`colorization.tasks.page.PageService`; the page draws what its layout declares).

FastAPI rather than Gradio: colorization needs point hints in a chosen colour placed by clicking
or painting on the photo, with undo, and a hints file in the format ``predict --hints`` reads;
Gradio's image editor yields a painted layer, not points, and its front end is a large bundle.
One hand-written page keeps the interaction exactly what the tasks need, and FastAPI's
validation and test client keep the server small and testable.
"""

from __future__ import annotations

import base64
import binascii
import io
from collections.abc import Sequence
from importlib import resources
from typing import Any

import torch
from fastapi import FastAPI, HTTPException
from fastapi.responses import HTMLResponse, JSONResponse
from PIL import Image
from pydantic import BaseModel
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from colorization.data.images import upright_rgb_tensor
from colorization.errors import USER_ERRORS

LOCAL_HOSTS = ("127.0.0.1", "localhost", "[::1]")
MAX_UPLOAD_BYTES = 40 * 2**20  # a request body; a 4:3 photo of 30 megapixels as JPEG fits
MAX_UPLOAD_PIXELS = 50_000_000  # decoded: 150 MB of RGB; a photo beyond it is refused unread


class Upload(BaseModel):
    image: str  # a data URL (data:image/...;base64,...)


class UpdateRequest(BaseModel):
    photo: str
    points: list[dict[str, Any]] = []
    options: dict[str, str] = {}


def decode_data_url(url: str, max_pixels: int = MAX_UPLOAD_PIXELS) -> torch.Tensor:
    """A photo sent as a data URL (or plain base64) -> uint8 RGB (3, H, W), upright. Its size
    is checked from its header, before its pixels are decoded."""
    payload = url.split(",", 1)[1] if url.startswith("data:") else url
    too_large = "The photo is {} x {}; the page takes up to {:.0f} megapixels: scale it down."
    try:
        image = Image.open(io.BytesIO(base64.b64decode(payload, validate=True)))
    except Image.DecompressionBombError as error:
        raise ValueError(f"The photo is too large ({error}): scale it down.") from None
    except (binascii.Error, ValueError, OSError) as error:  # bad base64, not an image
        raise ValueError(f"The upload is not a readable image ({error}).") from None
    with image:
        width, height = image.size
        if width * height > max_pixels:
            raise ValueError(too_large.format(width, height, max_pixels / 1e6))
        try:
            return upright_rgb_tensor(image)
        except (ValueError, OSError) as error:  # a truncated or damaged file
            raise ValueError(f"The upload is not a readable image ({error}).") from None


class BodyLimit:
    """Refuse a request body above ``limit`` bytes (413) before it is read into memory: by its
    Content-Length, or, without one, once the bytes received pass the limit."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            return await self.too_large(scope, receive, send)
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.limit:
                raise HTTPException(status_code=413, detail=self.message())
            return message

        await self.app(scope, counted, send)

    def message(self) -> str:
        return f"The upload is larger than {self.limit // 2**20} MiB: send a smaller photo."

    async def too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        await JSONResponse({"detail": self.message()}, status_code=413)(scope, receive, send)


def page() -> str:
    return resources.files("colorization.app").joinpath("static/index.html").read_text("utf-8")


def create_app(
    service: Any,
    model: dict[str, Any],
    allowed_hosts: Sequence[str] = LOCAL_HOSTS,
    samples: dict[str, Any] | None = None,
    max_upload_bytes: int = MAX_UPLOAD_BYTES,
) -> FastAPI:
    """The app; ``model`` describes the network on the page (task, class, source, and the
    service's layout); ``samples``: name -> a function loading a photo (uint8 (3, H, W)) offered
    at once. Requests whose Host header names another host are refused (400): a page of another
    site cannot reach this server through DNS rebinding (Starlette's TrustedHostMiddleware)."""
    app = FastAPI(title="colorization", docs_url=None, redoc_url=None, openapi_url=None)
    app.add_middleware(BodyLimit, limit=max_upload_bytes)
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=list(allowed_hosts))
    samples = samples or {}
    described = {**model, "layout": service.layout.as_json(), "samples": list(samples)}

    def answered(call, *args) -> dict[str, Any]:
        """A user's mistake is a 400, a photo no longer kept a 404, and anything the model
        raises a 500 with one line; the page shows the line and stays usable."""
        try:
            return call(*args)
        except KeyError as error:
            raise HTTPException(status_code=404, detail=str(error.args[0])) from None
        except USER_ERRORS as error:
            raise HTTPException(status_code=400, detail=str(error)) from None
        except Exception as error:
            detail = f"The model failed on this photo ({type(error).__name__}: {error})."
            raise HTTPException(status_code=500, detail=detail) from None

    @app.get("/", response_class=HTMLResponse)
    def index() -> str:
        return page()

    @app.get("/api/model")
    def describe() -> dict[str, Any]:
        return described

    @app.post("/api/photos")
    def upload(upload: Upload) -> dict[str, Any]:
        return answered(lambda: service.add_photo(decode_data_url(upload.image)))

    @app.post("/api/samples/{name}")
    def sample(name: str) -> dict[str, Any]:
        if name not in samples:
            raise HTTPException(status_code=404, detail=f"No sample photo {name!r}.")
        return answered(lambda: service.add_photo(service.sample(samples[name](), name)))

    @app.post("/api/update")
    def update(request: UpdateRequest) -> dict[str, Any]:
        return answered(service.update, request.photo, request.points, request.options)

    @app.post("/api/colorize")  # 1.x's route: an update without options
    def colorize(request: UpdateRequest) -> dict[str, Any]:
        return answered(service.update, request.photo, request.points)

    return app
