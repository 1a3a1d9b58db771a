"""What goes into a photo store: the photos found in folders, each decoded once and resized,
its colourfulness and fingerprint (for leaving out grey photos and duplicates), and its split,
a stable function of its name."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import kornia.color
import torch
from PIL import Image
from torchvision.transforms.v2 import functional as TF

from colorization.data.images import find_images, load_rgb, oriented_size
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
    load: Callable[[], torch.Tensor]
    group: str = ""
    path: Path | None = None  # the file, whose header gives the original size

    def __post_init__(self) -> None:
        self.group = self.group or self.name


@dataclass
class Decoded:
    image: torch.Tensor | None  # uint8 (3, h, w) at the stored size; None if unreadable
    size: tuple[int, int] = (0, 0)  # (width, height) of the original
    chroma: float = 0.0
    fingerprint: int = 0


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


def fingerprint(image: torch.Tensor) -> int:
    """64-bit difference hash: is each pixel of the 9 x 8 grey thumbnail brighter than its
    right neighbour."""
    grey = TF.resize(TF.rgb_to_grayscale(image), [8, 9], antialias=True)[0].int()
    bits = (grey[:, 1:] > grey[:, :-1]).flatten().tolist()
    return sum(1 << i for i, bit in enumerate(bits) if bit)


def chroma_p95(image: torch.Tensor) -> float:
    """The 95th percentile of CIE Lab chroma (sqrt(a^2 + b^2): 0 for grey, saturated colours
    reach 100): a photo is near-grey when nearly all of it is."""
    lab = kornia.color.rgb_to_lab(image[None].float() / 255)
    return float(lab[:, 1:].norm(dim=1).flatten().quantile(0.95))


def decode(candidate: Candidate, short_side: int) -> Decoded:
    try:
        image = candidate.load()
    except ValueError:
        return Decoded(None)
    size = (image.shape[-1], image.shape[-2])
    if candidate.path is not None:
        with Image.open(candidate.path) as header:  # large JPEGs decode reduced
            size = oriented_size(header)
    if min(image.shape[-2:]) > short_side:
        image = TF.resize(image, short_side, antialias=True)
    return Decoded(image, size, chroma_p95(image), fingerprint(image))


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


def candidates(
    folders: Sequence[str], short_side: int, samples: bool, licence: str | None
) -> list[Candidate]:
    found = []
    for folder in folders:
        root = Path(folder).expanduser()
        for path in find_images(root, option="a photo folder"):
            name = path.relative_to(root).as_posix()
            text = licence if licence is not None else licence_near(path, root)
            load = partial(load_rgb, path, short_side)
            found.append(Candidate(name, str(path), text, load, path=path))
    if samples:
        found += [
            Candidate(
                f"skimage/{p.name}",
                f"skimage.data.{p.group}",
                SAMPLES_LICENCE,
                p.load,
                group=f"skimage/{p.group}",
            )
            for p in sample_photos()
        ]
    return found
