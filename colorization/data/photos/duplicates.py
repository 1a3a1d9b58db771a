"""Near-duplicates among the photos of a corpus: difference hashes of a photo's thumbnail and of
crops of it, and an index over them whose search costs the same with a million photos kept as
with ten."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from PIL import Image

# Fingerprints and the chroma check look at a thumbnail of this shorter side, not at the photo:
# a large JPEG decodes straight to it at a reduced scale (JPEG's 1/2, 1/4, 1/8), and 17
# fingerprints of a thumbnail cost what one of the whole photo did.
THUMBNAIL_SIDE = 128


def thumbnail(image: torch.Tensor) -> np.ndarray:
    """A uint8 (h, w, 3) copy of the photo at a shorter side of :data:`THUMBNAIL_SIDE` (a
    smaller photo as it is)."""
    pil = Image.fromarray(image.permute(1, 2, 0).numpy())
    width, height = pil.size
    scale = THUMBNAIL_SIDE / min(width, height)
    if scale < 1:
        size = (max(1, round(width * scale)), max(1, round(height * scale)))
        pil = pil.resize(size, Image.Resampling.BILINEAR)
    return np.asarray(pil)


def grey(rgb: np.ndarray) -> Image.Image:
    """The grey (ITU-R 601 luma) image of a uint8 (h, w, 3) array, in floating point (mode F:
    no rounding, so that flat regions give no ties that a re-encoding would break)."""
    luma = rgb.astype(np.float32) @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
    return Image.fromarray(luma, mode="F")


def fingerprint(image: Image.Image) -> int:
    """64-bit difference hash: is each pixel of the 9 x 8 grey thumbnail brighter than its
    right neighbour (Krawetz's dHash)."""
    small = np.asarray(image.resize((9, 8), Image.Resampling.BILINEAR))
    bits = (small[:, 1:] > small[:, :-1]).flatten()
    return int(np.packbits(bits, bitorder="little").view("<u8")[0])


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
PRINTS_PER_PHOTO = 1 + len(CROPS)
# Fingerprints at most this many bits apart are one photo: measured on 39 distinct photos and
# illustrations (docs/photos.md), copies resized, re-encoded, brightened or cut by up to 10 %
# stay within it, distinct images further apart.
NEAR_DUPLICATE_BITS = 4


def _cut(image: Image.Image, top: float, bottom: float, left: float, right: float) -> Image.Image:
    """The 9 x 8 grey thumbnail of a crop: the crop's whole pixels cut out, then resized from
    its exact (sub-pixel) box. Cut out first, because Pillow's filter reaches past a box's
    edges, where a copy that was cut has no pixels."""
    width, height = image.size
    box = (width * left, height * top, width * (1 - right), height * (1 - bottom))
    whole = (math.floor(box[0]), math.floor(box[1]), math.ceil(box[2]), math.ceil(box[3]))
    inside = (box[0] - whole[0], box[1] - whole[1], box[2] - whole[0], box[3] - whole[1])
    return image.crop(whole).resize((9, 8), Image.Resampling.BILINEAR, box=inside)


def fingerprints(image: torch.Tensor | np.ndarray) -> tuple[int, ...]:
    """The photo's fingerprint, then those of its :data:`CROPS`, from its :func:`thumbnail`
    (``image``: a uint8 (3, H, W) tensor, or a thumbnail already made)."""
    small = grey(thumbnail(image) if isinstance(image, torch.Tensor) else image)
    cuts = (_cut(small, *crop) for crop in CROPS)
    return (fingerprint(small), *(fingerprint(cut) for cut in cuts))


class NearDuplicates:
    """The photos kept so far, to tell whether a new one is a copy of one of them: its
    fingerprint within :data:`NEAR_DUPLICATE_BITS` of a crop's of a kept photo, or a crop's of
    it within that of a kept photo's.

    Two multi-index hashing tables of faiss (Norouzi, Punjani & Fleet, "Fast Search in Hamming
    Space with Multi-Index Hashing", CVPR 2012): one over every fingerprint of the kept photos,
    one over their whole-photo fingerprints. Each splits the 64 bits into 3 bands of 21 and looks
    up the band's value and its 21 one-bit neighbours, so a fingerprint within 5 bits always
    shares a looked-up band with its match (pigeonhole); only those are compared. The cost of a
    search does not grow with the photos kept (docs/photos.md has the figures).
    """

    BANDS, BAND_BITS, FLIPS = 3, 21, 1

    def __init__(self) -> None:
        import faiss

        def table() -> Any:
            index = faiss.IndexBinaryMultiHash(64, self.BANDS, self.BAND_BITS)
            index.nflip = self.FLIPS
            return index

        self.every_print, self.whole_prints = table(), table()
        self.sources: list[str] = []

    def __len__(self) -> int:
        return len(self.sources)

    def match(self, prints: tuple[int, ...]) -> str | None:
        """The source of the kept photo ``prints`` (from :func:`fingerprints`) copies, or None."""
        if not self.sources:
            return None
        mine = _codes(prints)
        radius = NEAR_DUPLICATE_BITS + 1  # faiss keeps distances below the radius
        _, cut_distances, cut_rows = self.every_print.range_search(mine[:1], radius)
        _, whole_distances, whole_rows = self.whole_prints.range_search(mine, radius)
        photos = np.concatenate([cut_rows // PRINTS_PER_PHOTO, whole_rows])
        if not len(photos):
            return None
        distances = np.concatenate([cut_distances, whole_distances])
        closest = np.lexsort((photos, distances))[0]  # the nearest; the first kept of a tie
        return self.sources[int(photos[closest])]

    def add(self, prints: tuple[int, ...], source: str) -> None:
        codes = _codes(prints)
        self.every_print.add(codes)
        self.whole_prints.add(codes[:1])
        self.sources.append(source)

    def add_many(self, prints: np.ndarray, sources: Sequence[str]) -> None:
        """Add photos in order: row ``i`` of ``prints`` (uint64 (n, 1 + len(CROPS))) holds
        the fingerprints of ``sources[i]``."""
        for start in range(0, len(prints), 65536):  # bounded copies
            block = np.ascontiguousarray(prints[start : start + 65536], dtype=np.uint64)
            self.every_print.add(block.view(np.uint8).reshape(-1, 8))
            self.whole_prints.add(np.ascontiguousarray(block[:, 0]).view(np.uint8).reshape(-1, 8))
        self.sources.extend(sources)


def _codes(prints: Sequence[int]) -> np.ndarray:
    """Fingerprints as faiss' binary codes: uint8 (n, 8)."""
    return np.array(prints, dtype=np.uint64).view(np.uint8).reshape(-1, 8)
