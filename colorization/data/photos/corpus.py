"""What goes into a photo store: the photos found in folders, each described from a thumbnail
(its colourfulness and fingerprints, for leaving out grey photos and duplicates), its split (a
stable function of its name), and the photo as the store keeps it."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import kornia.color
import numpy as np
import torch
from PIL import Image
from torchvision.transforms.v2 import functional as TF

from colorization.data.images import decoded_size, find_images, load_rgb, oriented_size
from colorization.data.photos.duplicates import THUMBNAIL_SIDE, fingerprints, thumbnail
from colorization.data.sample_photos import sample_photos

LICENCE_FILES = ("LICENSE", "LICENCE", "COPYING", "copyright", "CREDITS", "README")
SAMPLES_LICENCE = "scikit-image sample data: see skimage/data/README.txt in scikit-image"


@dataclass
class Candidate:
    """One photo to prepare: its name, source, licence, and the scene it shows (``group``: the
    split hashes it, so that two views of one scene land in the same split)."""

    name: str
    source: str
    licence: str
    path: Path | None = None  # the file; None for a sample photo
    sample: Callable[[], torch.Tensor] | None = None  # loads a sample photo
    group: str = ""

    def __post_init__(self) -> None:
        self.group = self.group or self.name

    def load(self, min_side: int) -> torch.Tensor:
        """The photo, uint8 (3, H, W); a large JPEG decoded at the reduced JPEG scale whose
        shorter side stays at least ``min_side`` (``ValueError`` if it cannot be decoded)."""
        if self.path is not None:
            return load_rgb(self.path, min_side)
        assert self.sample is not None
        return self.sample()


def split_position(name: str) -> float:
    """A stable number in [0, 1) for a photo's name (the first 48 bits of its SHA-1); a name
    that is not valid UTF-8 is hashed as its own bytes."""
    data = name.encode("utf-8", "surrogateescape")
    return int(hashlib.sha1(data).hexdigest()[:12], 16) / 16**12


def split_ranges(val_fraction: float, test_fraction: float) -> dict[str, tuple[float, float]]:
    """The [low, high) range of split positions that each split takes."""
    end_of_test = val_fraction + test_fraction
    return {
        "val": (0.0, val_fraction),
        "test": (val_fraction, end_of_test),
        "train": (end_of_test, 1.0),
    }


def split_of(position: float, val_fraction: float, test_fraction: float) -> str:
    ranges = split_ranges(val_fraction, test_fraction)
    return next(split for split, (low, high) in ranges.items() if low <= position < high)


def chroma_p95(rgb: np.ndarray) -> float:
    """The 95th percentile of CIE Lab chroma (sqrt(a^2 + b^2): 0 for grey, saturated colours
    reach 100) of a uint8 (h, w, 3) array: a photo is near-grey when nearly all of it is."""
    image = torch.from_numpy(rgb.copy()).permute(2, 0, 1)[None].float() / 255
    lab = kornia.color.rgb_to_lab(image)[0]
    return float(torch.hypot(lab[1], lab[2]).flatten().quantile(0.95))


@dataclass
class Described:
    """What ``prepare`` decides on: the photo's sizes, colourfulness and fingerprints (nothing
    of its pixels, so that the pass over a million photos keeps memory flat)."""

    readable: bool
    size: tuple[int, int] = (0, 0)  # (width, height) of the original
    stored: tuple[int, int] = (0, 0)  # (width, height) as the store keeps it
    chroma: float = 0.0
    fingerprints: tuple[int, ...] = ()  # of the photo, then of its crops (see fingerprints)


def resized_size(size: tuple[int, int], short_side: int) -> tuple[int, int]:
    """(width, height) of a photo of ``size`` resized to a shorter side of ``short_side`` (a
    smaller one as it is), by torchvision's rule (the longer side rounded down)."""
    width, height = size
    short, long = min(size), max(size)
    if short <= short_side:
        return size
    new_long = int(short_side * long / short)
    return (short_side, new_long) if width <= height else (new_long, short_side)


def describe(candidate: Candidate, short_side: int) -> Described:
    """Decode the candidate at about the size of its thumbnail (see
    :mod:`colorization.data.photos.duplicates`) and describe it."""
    try:
        image = candidate.load(THUMBNAIL_SIDE)
        size = decoded = (image.shape[-1], image.shape[-2])
        if candidate.path is not None:  # decoded reduced: the header has the sizes
            with Image.open(candidate.path) as header:
                size = oriented_size(header)
            decoded = decoded_size(candidate.path, short_side)
    except ValueError:
        return Described(False)
    small = thumbnail(image)
    stored = resized_size(decoded, short_side)
    return Described(True, size, stored, chroma_p95(small), fingerprints(small))


def stored_photo(candidate: Candidate, short_side: int) -> torch.Tensor:
    """The photo as a store keeps it: decoded (a large JPEG at a reduced scale) and resized to
    a shorter side of ``short_side`` (a smaller photo as it is)."""
    image = candidate.load(short_side)
    if min(image.shape[-2:]) > short_side:
        image = TF.resize(image, short_side, antialias=True)
    return image


def licence_near(path: Path, root: Path) -> str:
    """ "see <file>" for the nearest licence or credits file from the photo's folder up to the
    source folder, else empty."""
    for folder in [path.parent, *path.parent.parents]:
        for name in LICENCE_FILES:
            found = sorted(folder.glob(f"{name}*"))
            if found:
                return f"see {found[0]}"
        if folder == root:
            break
    return ""


def candidates(folders: Sequence[str], samples: bool, licence: str | None) -> list[Candidate]:
    found = []
    for folder in folders:
        root = Path(folder).expanduser()
        for path in find_images(root, option="a photo folder"):
            name = path.relative_to(root).as_posix()
            text = licence if licence is not None else licence_near(path, root)
            found.append(Candidate(name, str(path), text, path=path))
    if samples:
        found += [
            Candidate(
                f"skimage/{p.name}",
                f"skimage.data.{p.group}",
                SAMPLES_LICENCE,
                sample=p.load,
                group=f"skimage/{p.group}",
            )
            for p in sample_photos()
        ]
    return found
