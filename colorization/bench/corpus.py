"""A generated photo corpus for measuring ``prepare``: procedural colour photos of ImageNet's
typical size (500 x 375, JPEG quality 90) with planted near-copies, so that the duplicate search
can be checked (every copy found, no distinct photo dropped) at any scale."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image, ImageEnhance

SIZE = (500, 375)


def procedural_photo(seed: int) -> Image.Image:
    """A colourful photo-like image: smooth random colour fields, a few shapes, sensor noise."""
    rng = np.random.default_rng(seed)
    # at least as many colour cells as the 9 x 8 fingerprint has: distinct photos differ in it
    coarse = rng.integers(0, 256, (int(rng.integers(8, 17)), int(rng.integers(10, 21)), 3))
    base = Image.fromarray(coarse.astype(np.uint8)).resize(SIZE, Image.Resampling.BICUBIC)
    pixels = np.asarray(base).astype(np.float32)
    height, width = pixels.shape[:2]
    rows, columns = np.mgrid[0:height, 0:width]
    for _ in range(int(rng.integers(2, 6))):
        centre = rng.uniform((0, 0), (height, width))
        radius = rng.uniform(20, 120)
        inside = (rows - centre[0]) ** 2 + (columns - centre[1]) ** 2 < radius**2
        pixels[inside] = rng.integers(0, 256, 3)
    pixels += rng.normal(0, 6, pixels.shape)
    return Image.fromarray(pixels.clip(0, 255).astype(np.uint8))


def _reencoded(image: Image.Image, quality: int) -> Image.Image:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality)
    return Image.open(io.BytesIO(buffer.getvalue())).convert("RGB")


def _cut(image: Image.Image, top: float, bottom: float, left: float, right: float) -> Image.Image:
    width, height = image.size
    box = (int(width * left), int(height * top), width - int(width * right))
    return image.crop((*box, height - int(height * bottom)))


# What a copy of a photo in someone's folders may have been through (as in docs/photos.md).
COPIES: dict[str, Callable[[Image.Image], Image.Image]] = {
    "resized to 256 px, JPEG 75": lambda image: _reencoded(image.resize((256, 192)), 75),
    "brightened by 10 %": lambda image: ImageEnhance.Brightness(image).enhance(1.1),
    "cut by 5 % all round": lambda image: _cut(image, 0.05, 0.05, 0.05, 0.05),
    "cut by 3 % on one side": lambda image: _cut(image, 0, 0, 0.03, 0),
    "cut by 3 % from a corner": lambda image: _cut(image, 0.03, 0, 0.03, 0),
}


def write_corpus(folder: Path, photos: int, copy_every: int = 10) -> dict[str, str]:
    """``photos`` distinct photos under ``folder/photos/`` and, for every ``copy_every``-th, a
    near-copy under ``folder/copies/`` (the kinds of :data:`COPIES` in turn); returns each
    copy's name -> its original's name (names relative to ``folder``)."""
    planted: dict[str, str] = {}
    kinds = list(COPIES.values())
    for index in range(photos):
        original = f"photos/{index // 1000:04d}/{index:07d}.jpg"
        image = procedural_photo(index)
        (folder / original).parent.mkdir(parents=True, exist_ok=True)
        image.save(folder / original, quality=90)
        if index % copy_every == 0:
            copy = f"copies/{index // 1000:04d}/{index:07d}.jpg"
            (folder / copy).parent.mkdir(parents=True, exist_ok=True)
            kinds[(index // copy_every) % len(kinds)](image).save(folder / copy, quality=90)
            planted[copy] = original
    return planted
