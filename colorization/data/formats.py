"""What the framework reads as an image, how large an image it decodes, and how a path is
shown: light (no torch), so that a command checks its arguments before torch is imported."""

from __future__ import annotations

import os
from pathlib import Path

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp")
DEFAULT_MAX_PIXELS = 50_000_000  # data.max_pixels, predict --max-pixels: larger files not decoded


def shown(path: str | Path) -> str:
    """A path as text that can always be printed and logged: bytes of a file name that are not
    valid UTF-8 appear as ``\\xff`` escapes instead of breaking the log handler."""
    return os.fsencode(str(path)).decode("utf-8", "backslashreplace")
