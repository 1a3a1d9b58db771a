"""Finding and decoding images: folders scanned recursively, photos referenced lazily."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torchvision.io import ImageReadMode, decode_image

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp")
# torchvision decodes these natively; PIL handles the rest (bmp, tiff).
_TORCHVISION_EXTENSIONS = (".jpg", ".jpeg", ".png", ".webp")
LISTED_IN_ERRORS = 10  # files named in an error message; the rest are counted


def file_listing(items: Sequence[str]) -> str:
    """Indented lines for an error message: the first ``LISTED_IN_ERRORS`` items, then a count."""
    shown = "\n  ".join(items[:LISTED_IN_ERRORS])
    extra = len(items) - LISTED_IN_ERRORS
    more = f"\n  ... and {extra} more" if extra > 0 else ""
    return f"\n  {shown}{more}"


@dataclass(frozen=True)
class Photo:
    """A photo that can be loaded on demand as a uint8 RGB tensor (3, H, W).

    ``group`` names the scene it shows: photos of one group (e.g. a stereo pair) always land on
    the same side of the train/validation split.
    """

    name: str
    group: str
    load: Callable[[], torch.Tensor]


def find_images(root: str | Path) -> list[Path]:
    """All image files under ``root`` (recursive, sorted). Errors name the folder and the fix."""
    root = Path(root).expanduser()
    if not root.exists():
        raise FileNotFoundError(
            f"Image folder {root} does not exist. Set data.root to a folder of images "
            f"(searched recursively for {', '.join(IMAGE_EXTENSIONS)}), or data.root=null to use "
            "the built-in sample photos."
        )
    if not root.is_dir():
        raise NotADirectoryError(f"data.root={root} is a file; point it at a folder of images.")
    paths = sorted(
        p for p in root.rglob("*") if p.suffix.lower() in IMAGE_EXTENSIONS and p.is_file()
    )
    if not paths:
        raise FileNotFoundError(
            f"No images found under {root} (looked for {', '.join(IMAGE_EXTENSIONS)}, "
            "recursively). Check data.root."
        )
    return paths


def load_rgb(path: str | Path) -> torch.Tensor:
    """Decode ``path`` to a uint8 RGB tensor (3, H, W); the error names the file and the fix."""
    path = Path(path)
    try:
        if path.suffix.lower() in _TORCHVISION_EXTENSIONS:
            image = decode_image(str(path), mode=ImageReadMode.RGB)  # drops any alpha channel
        else:
            with Image.open(path) as opened:
                array = np.asarray(opened.convert("RGB"))
            image = torch.from_numpy(array.copy()).permute(2, 0, 1).contiguous()
    except Exception as error:  # decoders raise many types; all mean "unreadable file"
        raise ValueError(
            f"Could not decode image {path}: {error}. Re-save it as PNG/JPEG or remove it."
        ) from error
    if image.dtype == torch.uint16:  # 16-bit PNG: keep the 8 most significant bits
        image = (image.to(torch.int32) >> 8).to(torch.uint8)
    return image


def photos_from_paths(paths: list[Path]) -> list[Photo]:
    """One lazily loaded :class:`Photo` per image file."""
    return [Photo(name=str(path), group=str(path), load=partial(load_rgb, path)) for path in paths]
