"""The web layer: one static page and a small JSON API over :class:`ColorizeService`.

FastAPI rather than Gradio: the page needs point hints in a chosen colour placed by clicking or
painting on the photo, with undo, and a hints file in the format ``predict --hints`` reads;
Gradio's image editor yields a painted layer, not points, and its front end is a large bundle.
One hand-written page keeps the interaction exactly what the task needs, and FastAPI's
validation and test client keep the server small and testable.
"""

from __future__ import annotations

from importlib import resources
from typing import Any

from fastapi import FastAPI, HTTPException
from fastapi.responses import HTMLResponse
from pydantic import BaseModel

from colorization.app.service import ColorizeService, decode_data_url
from colorization.errors import USER_ERRORS


class Upload(BaseModel):
    image: str  # a data URL (data:image/...;base64,...)


class ColorizeRequest(BaseModel):
    photo: str
    points: list[dict[str, Any]] = []


def page() -> str:
    return resources.files("colorization.app").joinpath("static/index.html").read_text("utf-8")


def create_app(service: ColorizeService, model: dict[str, Any]) -> FastAPI:
    """The app; ``model`` describes the network on the page (task, class, working size)."""
    app = FastAPI(title="colorization", docs_url=None, redoc_url=None)

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
