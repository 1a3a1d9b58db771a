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


def fingerprint(image: Image.Image, box: Box | None = None) -> int:
    """64-bit difference hash (Krawetz's dHash): is each pixel of the 9 x 8 grey thumbnail (of
    ``box`` of the image, where given) brighter than its right neighbour."""
    small = image.resize((9, 8), Image.Resampling.BILINEAR, box=box)
    return _bits(np.diff(np.asarray(small), axis=1) > 0)


def down_fingerprint(image: Image.Image, box: Box | None = None) -> int:
    """The other 64-bit difference hash: each pixel of the 8 x 9 grey thumbnail against the one
    below it. Nearly independent of :func:`fingerprint`: with both, two photos that agree on
    one by chance are still told apart."""
    small = image.resize((8, 9), Image.Resampling.BILINEAR, box=box)
    return _bits(np.diff(np.asarray(small), axis=0) > 0)


def _bits(rising: np.ndarray) -> int:
    return int(np.packbits(rising.flatten(), bitorder="little").view("<u8")[0])


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
# ... and their down fingerprints at most this many: the second hash keeps what the first finds
# (docs/photos.md) and drops photos that agree on the first by chance.
DOWN_BITS = 6


Box = tuple[float, float, float, float]


def _cut(image: Image.Image, top: float, bottom: float, left: float, right: float):
    """A crop's whole pixels, cut out, and its exact (sub-pixel) box in them. Cut out first,
    because Pillow's filter reaches past a box's edges, where a copy that was cut has none."""
    width, height = image.size
    box = (width * left, height * top, width * (1 - right), height * (1 - bottom))
    whole = (math.floor(box[0]), math.floor(box[1]), math.ceil(box[2]), math.ceil(box[3]))
    inside = (box[0] - whole[0], box[1] - whole[1], box[2] - whole[0], box[3] - whole[1])
    return image.crop(whole), inside


def fingerprints(image: torch.Tensor | np.ndarray) -> tuple[int, ...]:
    """The photo's :func:`fingerprint`, then those of its :data:`CROPS`, then the same with
    :func:`down_fingerprint` (2 x :data:`PRINTS_PER_PHOTO` numbers), from its
    :func:`thumbnail` (``image``: a uint8 (3, H, W) tensor, or a thumbnail already made)."""
    small = grey(thumbnail(image) if isinstance(image, torch.Tensor) else image)
    cuts = [(small, None), *(_cut(small, *crop) for crop in CROPS)]
    return (
        *(fingerprint(cut, box) for cut, box in cuts),
        *(down_fingerprint(cut, box) for cut, box in cuts),
    )


class NearDuplicates:
    """The photos kept so far, to tell whether a new one is a copy of one of them: its
    fingerprint within :data:`NEAR_DUPLICATE_BITS` of a crop's of a kept photo, or a crop's of
    it within that of a kept photo's, and the two crops' down fingerprints within
    :data:`DOWN_BITS` too.

    Two multi-index hashing tables of faiss (Norouzi, Punjani & Fleet, "Fast Search in Hamming
    Space with Multi-Index Hashing", CVPR 2012): one over every fingerprint of the kept photos,
    one over their whole-photo fingerprints. Each splits the 64 bits into 3 bands of 21 and looks
    up the band's value and its 21 one-bit neighbours, so a fingerprint within 5 bits always
    shares a looked-up band with its match (pigeonhole); only those are compared, and then their
    down fingerprints. The cost of a search does not grow with the photos kept (docs/photos.md
    has the figures).
    """

    BANDS, BAND_BITS, FLIPS = 3, 21, 1

    def __init__(self) -> None:
        import faiss

        def table() -> Any:
            index = faiss.IndexBinaryMultiHash(64, self.BANDS, self.BAND_BITS)
            index.nflip = self.FLIPS
            return index

        self.every_print, self.whole_prints = table(), table()
        self.down = np.zeros((1024, PRINTS_PER_PHOTO), dtype=np.uint64)
        self.sources: list[str] = []

    def __len__(self) -> int:
        return len(self.sources)

    def match(self, prints: Sequence[int]) -> str | None:
        """The source of the kept photo ``prints`` (from :func:`fingerprints`) copies, or None;
        of several, the nearest (both fingerprints' bits together), then the first kept."""
        if not self.sources:
            return None
        across, down = _split(np.array(prints, dtype=np.uint64)[None])
        radius = NEAR_DUPLICATE_BITS + 1  # faiss keeps distances below the radius
        _, cut_distances, cut_rows = self.every_print.range_search(_codes(across[0, :1]), radius)
        limits, whole_distances, whole_rows = self.whole_prints.range_search(
            _codes(across[0]), radius
        )
        cut_photos, their_crops = np.divmod(cut_rows, PRINTS_PER_PHOTO)
        my_crops = np.repeat(np.arange(PRINTS_PER_PHOTO), np.diff(limits).astype(np.int64))
        photos = np.concatenate([cut_photos, whole_rows])
        theirs = np.concatenate([their_crops, np.zeros_like(whole_rows)])
        mine = np.concatenate([np.zeros_like(cut_rows), my_crops])
        down_distances = _popcount(self.down[photos, theirs] ^ down[0, mine])
        near = down_distances <= DOWN_BITS
        if not near.any():
            return None
        distances = np.concatenate([cut_distances, whole_distances]) + down_distances
        closest = np.lexsort((photos[near], distances[near]))[0]
        return self.sources[int(photos[near][closest])]

    def add(self, prints: Sequence[int], source: str) -> None:
        self.add_many(np.array(prints, dtype=np.uint64)[None], [source])

    def add_many(self, prints: np.ndarray, sources: Sequence[str]) -> None:
        """Add photos in order: row ``i`` of ``prints`` (uint64 (n, 2 x PRINTS_PER_PHOTO))
        holds the fingerprints of ``sources[i]``."""
        start = len(self.sources)
        while len(self.down) < start + len(prints):
            self.down = np.concatenate([self.down, np.zeros_like(self.down)])
        for first in range(0, len(prints), 65536):  # bounded copies
            across, down = _split(np.asarray(prints[first : first + 65536], dtype=np.uint64))
            self.every_print.add(_codes(across))
            self.whole_prints.add(_codes(across[:, 0]))
            self.down[start + first : start + first + len(down)] = down
        self.sources.extend(sources)


def _split(prints: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(across, down) fingerprints of rows of :func:`fingerprints`."""
    if prints.shape[-1] != 2 * PRINTS_PER_PHOTO:
        raise ValueError(f"Expected {2 * PRINTS_PER_PHOTO} fingerprints, got {prints.shape[-1]}.")
    return prints[:, :PRINTS_PER_PHOTO], prints[:, PRINTS_PER_PHOTO:]


def _codes(prints: np.ndarray) -> np.ndarray:
    """Fingerprints as faiss' binary codes: uint8 (n, 8)."""
    return np.ascontiguousarray(prints, dtype=np.uint64).view(np.uint8).reshape(-1, 8)


def _popcount(values: np.ndarray) -> np.ndarray:
    """The set bits of each uint64."""
    as_bytes = np.ascontiguousarray(values, dtype=np.uint64).view(np.uint8)
    return np.unpackbits(as_bytes.reshape(-1, 8), axis=1).sum(axis=1)
