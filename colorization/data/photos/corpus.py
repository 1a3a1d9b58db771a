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
import numpy as np
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
    fingerprints: tuple[int, ...] = ()  # of the photo, then of its crops (see fingerprints)


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


# A copy of a photo may have been cut: its fingerprint is compared with those of crops of the
# photo, and the photo's with the copy's crops. Each crop: the fractions cut from the top,
# bottom, left and right: all round, from one side, from a corner.
_ROUND, _SIDE, _CORNER = (0.025, 0.05, 0.075, 0.1), (0.03, 0.06), 0.03
CROPS: tuple[tuple[float, float, float, float], ...] = (
    *((f, f, f, f) for f in _ROUND),
    *(crop for f in _SIDE for crop in ((f, 0, 0, 0), (0, f, 0, 0), (0, 0, f, 0), (0, 0, 0, f))),
    *(
        (_CORNER * top, _CORNER * (1 - top), _CORNER * left, _CORNER * (1 - left))
        for top in (1, 0)
        for left in (1, 0)
    ),
)
# Fingerprints at most this many bits apart are one photo: measured on 39 distinct photos and
# illustrations (docs/photos.md), copies resized, re-encoded, brightened or cut by up to 10 %
# stay within 3 bits, distinct images 6 bits or more apart.
NEAR_DUPLICATE_BITS = 4


def _cut(image: torch.Tensor, top: float, bottom: float, left: float, right: float) -> torch.Tensor:
    height, width = image.shape[-2:]
    rows = slice(int(height * top), height - int(height * bottom))
    columns = slice(int(width * left), width - int(width * right))
    return image[..., rows, columns]


def fingerprints(image: torch.Tensor) -> tuple[int, ...]:
    """The photo's fingerprint, then those of its :data:`CROPS`."""
    return (fingerprint(image), *(fingerprint(_cut(image, *crop)) for crop in CROPS))


def _bits(values: np.ndarray) -> np.ndarray:
    """The number of set bits of each uint64."""
    return np.unpackbits(values[..., None].view(np.uint8), axis=-1).sum(axis=-1)


class NearDuplicates:
    """The photos kept so far, to tell whether a new one is a copy of one of them: its
    fingerprint within :data:`NEAR_DUPLICATE_BITS` of a crop's of a kept photo, or a crop's of
    it within that of a kept photo's. Grows by doubling: one vectorised comparison a photo."""

    def __init__(self) -> None:
        self.prints = np.zeros((16, 1 + len(CROPS)), dtype=np.uint64)
        self.sources: list[str] = []

    def match(self, prints: tuple[int, ...]) -> str | None:
        """The source of the kept photo ``prints`` (from :func:`fingerprints`) copies, or None."""
        kept = self.prints[: len(self.sources)]
        if not len(kept):
            return None
        mine = np.array(prints, dtype=np.uint64)
        theirs_cut = _bits(kept ^ mine[0]).min(axis=1)
        mine_cut = _bits(kept[:, :1] ^ mine[None, :]).min(axis=1)
        distances = np.minimum(theirs_cut, mine_cut)
        closest = int(distances.argmin())
        return self.sources[closest] if distances[closest] <= NEAR_DUPLICATE_BITS else None

    def add(self, prints: tuple[int, ...], source: str) -> None:
        if len(self.sources) == len(self.prints):
            self.prints = np.concatenate([self.prints, np.zeros_like(self.prints)])
        self.prints[len(self.sources)] = np.array(prints, dtype=np.uint64)
        self.sources.append(source)


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
    return Decoded(image, size, chroma_p95(image), fingerprints(image))


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
