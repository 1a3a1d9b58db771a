"""Finding and decoding images: folders scanned recursively, photos referenced lazily."""

from __future__ import annotations

import base64
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageOps
from torchvision.io import ImageReadMode, decode_image, encode_png

from colorization.data.formats import DEFAULT_MAX_PIXELS as DEFAULT_MAX_PIXELS
from colorization.data.formats import IMAGE_EXTENSIONS as IMAGE_EXTENSIONS
from colorization.data.formats import shown as shown

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


def find_images(root: str | Path, option: str = "data.root") -> list[Path]:
    """All image files under ``root`` (recursive, sorted). Errors name the folder, the option
    that gave it (``data.root`` by default) and the fix."""
    root = Path(root).expanduser()
    looked_for = f"searched recursively for {', '.join(IMAGE_EXTENSIONS)}"
    samples = (
        ", or data.root=null to use the built-in sample photos" if option == "data.root" else ""
    )
    if not root.exists():
        raise FileNotFoundError(
            f"Image folder {shown(root)} does not exist. Set {option} to a folder of images "
            f"({looked_for}){samples}."
        )
    if not root.is_dir():
        raise NotADirectoryError(
            f"{option}={shown(root)} is a file; point it at a folder of images."
        )
    paths = sorted(
        p for p in root.rglob("*") if p.suffix.lower() in IMAGE_EXTENSIONS and p.is_file()
    )
    if not paths:
        raise FileNotFoundError(
            f"No images found under {shown(root)} ({looked_for}). Check {option}."
        )
    return paths


# EXIF orientations that turn the stored image by 90 degrees (width and height swap).
_QUARTER_TURNS = {5, 6, 7, 8}


def oriented_size(image: Image.Image) -> tuple[int, int]:
    """(width, height) as the image is shown, after its EXIF orientation (header only). Pillow
    reports a TIFF's size upright already (its TIFF reader applies the orientation itself)."""
    width, height = image.size
    if image.format == "TIFF":
        return width, height
    turned = image.getexif().get(0x0112, 1) in _QUARTER_TURNS
    return (height, width) if turned else (width, height)


def upright(image: Image.Image) -> Image.Image:
    """The image as it is shown: its EXIF orientation applied (phone photos store it apart)."""
    return ImageOps.exif_transpose(image)


def too_large(width: int, height: int, max_pixels: int) -> str | None:
    """The problem with an image of ``width`` x ``height`` above ``max_pixels``, or ``None``."""
    if width * height <= max_pixels:
        return None
    return f"too large: {width}x{height} > data.max_pixels={max_pixels} (raise it to use the file)"


def load_rgb(
    path: str | Path, min_side: int | None = None, max_pixels: int = DEFAULT_MAX_PIXELS
) -> torch.Tensor:
    """Decode ``path`` to a uint8 RGB tensor (3, H, W), upright (EXIF orientation applied);
    the error names the file and the fix.

    The file is read by Python, whatever bytes its name holds (names that are not valid UTF-8
    too), and decoded from memory. With ``min_side``, a JPEG at least twice that on its shorter
    side is decoded at a reduced scale (1/2, 1/4 or 1/8, JPEG's own fast path) whose shorter
    side stays at least ``min_side``: a photo far larger than the crops cut from it is not
    decoded whole for every crop. A file whose header claims more than ``max_pixels`` is refused
    before anything is decoded (every command reads images through here); an animation gives
    its first frame.
    """
    path = Path(path)
    try:
        image = _decoded(path, min_side, max_pixels)
    except _TooLarge as error:
        raise ValueError(f"{shown(path)}: {error}.") from None
    except Exception as error:  # decoders raise many types; all mean "unreadable file"
        raise ValueError(
            f"Could not decode image {shown(path)}: {error}. Re-save it as PNG/JPEG or remove it."
        ) from error
    if image.dtype == torch.uint16:  # 16-bit PNG: keep the 8 most significant bits
        image = (image.to(torch.int32) >> 8).to(torch.uint8)
    return image


class _TooLarge(Exception):
    """The header claims more pixels than may be decoded."""


def _decoded(path: Path, min_side: int | None, max_pixels: int) -> torch.Tensor:
    """The image, its header read once: the pixel limit, then a reduced JPEG or the first frame
    of an animation by Pillow from the same open file, anything else by torchvision."""
    try:
        opened = Image.open(path)
    except Image.DecompressionBombError:
        raise _TooLarge("too large: beyond Pillow's decompression-bomb limit") from None
    except Exception:
        if path.suffix.lower() not in _TORCHVISION_EXTENSIONS:
            raise
        return _torchvision_decoded(path)  # a format Pillow does not know
    with opened:
        if problem := too_large(*opened.size, max_pixels):
            raise _TooLarge(problem)
        if _reduced(opened, min_side):
            return upright_rgb_tensor(opened)
        if opened.format != "GIF" and path.suffix.lower() in _TORCHVISION_EXTENSIONS:
            return _torchvision_decoded(path)  # torchvision would decode every frame of a GIF
        return upright_rgb_tensor(opened)


def _reduced(opened: Image.Image, min_side: int | None) -> bool:
    """Set a JPEG at least twice ``min_side`` on its shorter side to decode at the reduced
    scale (1/2, 1/4 or 1/8) whose shorter side stays at least ``min_side``; whether it was."""
    if not min_side or opened.format != "JPEG" or min(opened.size) < 2 * min_side:
        return False
    scale = min(opened.size) / min_side
    opened.draft("RGB", (int(opened.size[0] / scale) + 1, int(opened.size[1] / scale) + 1))
    return True


def decoded_size(path: str | Path, min_side: int | None) -> tuple[int, int]:
    """(width, height) that :func:`load_rgb` gives for ``path`` and ``min_side``, upright, from
    the header alone (``ValueError`` if it cannot be read)."""
    try:
        with Image.open(path) as opened:
            _reduced(opened, min_side)  # only sets the scale: nothing is decoded
            return oriented_size(opened)
    except Exception as error:
        raise ValueError(f"Could not read the header of {shown(Path(path))}: {error}.") from None


def _torchvision_decoded(path: Path) -> torch.Tensor:
    data = torch.frombuffer(bytearray(path.read_bytes()), dtype=torch.uint8)
    # RGB drops any alpha channel
    return decode_image(data, mode=ImageReadMode.RGB, apply_exif_orientation=True)


def upright_rgb_tensor(image: Image.Image) -> torch.Tensor:
    """A Pillow image decoded upright to a uint8 RGB tensor (3, H, W)."""
    array = np.asarray(upright(image).convert("RGB"))
    return torch.from_numpy(array.copy()).permute(2, 0, 1).contiguous()


def photos_from_paths(paths: list[Path], min_side: int | None = None) -> list[Photo]:
    """One lazily loaded :class:`Photo` per image file (large JPEGs decoded reduced to
    ``min_side``, see :func:`load_rgb`)."""
    return [
        Photo(name=str(path), group=str(path), load=partial(load_rgb, path, min_side=min_side))
        for path in paths
    ]


def png_data_url(image: torch.Tensor) -> str:
    """A uint8 (C, H, W) image (1, 3 or 4 channels) as a ``data:image/png;base64,...`` URL
    (RGBA through Pillow: torchvision's encoder takes 1 or 3 channels)."""
    if image.shape[0] == 4:
        buffer = io.BytesIO()
        Image.fromarray(image.permute(1, 2, 0).numpy(), "RGBA").save(buffer, "PNG")
        data = buffer.getvalue()
    else:
        data = encode_png(image).numpy().tobytes()
    return "data:image/png;base64," + base64.b64encode(data).decode()
