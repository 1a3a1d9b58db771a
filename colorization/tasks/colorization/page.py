"""The colorization page (``python -m colorization.app``) without the web layer: keep the
uploaded photos, and colorize one with a list of hint points (the same points
``predict --hints`` reads as JSON)."""

from __future__ import annotations

import argparse
import threading
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import torch
from torchvision.transforms.v2 import functional as TF

from colorization.data.images import png_data_url
from colorization.inference.network import Network
from colorization.inference.working_size import to_uint8
from colorization.tasks.colorization.hint_files import (
    HintPoint,
    check_inside,
    parse_points,
    points_json,
    rasterize,
)
from colorization.tasks.colorization.inference import Colorizer, PreparedPhoto

MAX_SIDE = 1600  # larger uploads are scaled down: each update stays interactive on a CPU
# Memory for the photos kept between updates (least recently used dropped first): a byte budget,
# not a count, so that many users with small photos keep theirs.
KEPT_BYTES = 512 * 2**20


@dataclass
class Photo:
    prepared: PreparedPhoto
    width: int
    height: int

    @property
    def bytes(self) -> int:
        lightness = (self.prepared.lightness, self.prepared.working_lightness)
        return sum(t.numel() * t.element_size() for t in lightness)


class ColorizeService:
    """Thread-safe: the web server calls it from a pool of threads."""

    def __init__(
        self, colorizer: Colorizer, max_side: int = MAX_SIDE, kept_bytes: int = KEPT_BYTES
    ) -> None:
        self.colorizer = colorizer
        self.max_side = max_side
        self.kept_bytes = kept_bytes
        self.photos: OrderedDict[str, Photo] = OrderedDict()
        self.lock = threading.Lock()

    def add_photo(self, image: torch.Tensor) -> dict[str, Any]:
        """Keep a photo (uint8 (3, H, W)); returns its id, size and grey version."""
        height, width = image.shape[-2:]
        scaled_from = None
        if max(height, width) > self.max_side:
            scale = self.max_side / max(height, width)
            scaled_from = [width, height]
            image = TF.resize(image, [round(height * scale), round(width * scale)])
            height, width = image.shape[-2:]
        with self.lock:
            prepared = self.colorizer.prepare(image)
            photo_id = uuid.uuid4().hex
            self.photos[photo_id] = Photo(prepared, width, height)
            while len(self.photos) > 1 and self.kept() > self.kept_bytes:
                self.photos.popitem(last=False)
        grey = to_uint8(self.colorizer.grey(prepared))[0]
        return {
            "photo": photo_id,
            "width": width,
            "height": height,
            "scaled_from": scaled_from,
            "grey": png_data_url(grey),
        }

    def kept(self) -> int:
        """Bytes the kept photos take."""
        return sum(photo.bytes for photo in self.photos.values())

    def photo(self, photo_id: str) -> Photo:
        with self.lock:
            if photo_id not in self.photos:
                raise KeyError(f"Photo {photo_id} is not (or no longer) here: upload it again.")
            self.photos.move_to_end(photo_id)
            return self.photos[photo_id]

    def colorize(self, photo_id: str, points: list[dict[str, Any]]) -> dict[str, Any]:
        """Colorize a kept photo with hint points; returns the result, its time and the hints
        file."""
        photo = self.photo(photo_id)
        hints = parse_points(points, "hints")
        check_inside(hints, photo.height, photo.width, "hints")
        start = time.perf_counter()
        with self.lock:
            result = self.colorize_points(photo, hints)
        image = png_data_url(result)
        seconds = time.perf_counter() - start  # hints in, PNG out: what the page waits for
        return {
            "image": image,
            "seconds": round(seconds, 4),
            "hints": len(hints),
            "hints_file": points_json(hints, photo.height, photo.width),
        }

    def colorize_points(self, photo: Photo, hints: list[HintPoint]) -> torch.Tensor:
        dense = rasterize(hints, photo.height, photo.width)
        working = self.colorizer.user_hints(photo.prepared, dense)
        return self.colorizer.colorize(photo.prepared, working)


def colorization_page(network: Network, args: argparse.Namespace) -> tuple[ColorizeService, dict]:
    """The page's service for a colorization network, and what the page shows of the model."""
    colorizer = Colorizer(network, args.working_size)
    model = {
        "task": network.spec.task,
        "model": network.spec.model.rsplit(".", 1)[-1] or "network",
        "working_size": colorizer.working_size,
    }
    return ColorizeService(colorizer), model
