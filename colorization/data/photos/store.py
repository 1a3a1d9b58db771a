"""The photo store: a LitData dataset per split (Lightning AI's streaming data format), which
training streams from a local folder or an object store, split among ranks and loader workers
by LitData, resumable mid-epoch.

    DIR/store.json     version, short side, counts per split, stored encoding, how it was made
    DIR/manifest.csv   split, index, name, source, original and stored size, licence
    DIR/<split>/       a LitData dataset (index.json, chunk-*.bin) written by litdata.optimize:
                       items {"index": int, "jpeg": bytes}, in the manifest's order

``DIR`` is a folder or a URL LitData reads (``s3://``, ``gs://``, ...). Each photo is stored as
JPEG at quality 95 without chroma subsampling: about 7x smaller than raw pixels and decoded at
well over a thousand photos a second per core (docs/photos.md has the measurements that chose
it). A store of version 1 (raw pixels, :mod:`colorization.data.photos.store_v1`) is read as
before; ``python -m colorization.prepare --convert`` turns it into this format.
"""

from __future__ import annotations

import io
import json
import logging
import warnings
from dataclasses import dataclass
from typing import Any

import torch
from PIL import Image
from torchvision.io import decode_jpeg

import colorization.data.photos.location as location
from colorization.data.images import Photo

log = logging.getLogger(__name__)

STORE_VERSION = 2
SPLITS = ("train", "val", "test")
MANIFEST_FIELDS = (
    "split",
    "index",
    "name",
    "source",
    "width",
    "height",
    "stored_width",
    "stored_height",
    "licence",
)
JPEG_QUALITY = 95
ENCODING = f"JPEG, quality {JPEG_QUALITY}, 4:4:4"  # as store.json names it
# Chunks of at most this many bytes: a few hundred photos, one download from an object store.
CHUNK_BYTES = "64MB"


def encode(image: torch.Tensor) -> bytes:
    """A uint8 (3, H, W) photo as the store keeps it: JPEG 95, 4:4:4 (no chroma subsampling:
    colorization's targets are the chroma)."""
    buffer = io.BytesIO()
    pixels = Image.fromarray(image.permute(1, 2, 0).numpy())
    pixels.save(buffer, "JPEG", quality=JPEG_QUALITY, subsampling=0)
    return buffer.getvalue()


def decode(data: bytes) -> torch.Tensor:
    """A stored photo as uint8 (3, H, W) (libjpeg-turbo through torchvision)."""
    return decode_jpeg(torch.frombuffer(bytearray(data), dtype=torch.uint8))


def split_dataset(store: str, split: str, **options: Any):
    """LitData's dataset of one split (``options``: StreamingDataset's)."""
    from litdata import StreamingDataset

    with warnings.catch_warnings():  # LitData warns of a default it changes in a later version
        warnings.simplefilter("ignore", UserWarning)
        return StreamingDataset(location.join(store, split), **options)


# One dataset per split and process: a loader worker opens it once, on its first photo.
_OPEN: dict[tuple[str, str], Any] = {}


@dataclass(frozen=True)
class StoredPhotoLoader:
    """Loads photo ``position`` of a split (picklable: each loader worker opens the split)."""

    store: str
    split: str
    position: int

    def __call__(self) -> torch.Tensor:
        key = (self.store, self.split)
        if key not in _OPEN:
            _OPEN[key] = split_dataset(self.store, self.split)
        return decode(_OPEN[key][self.position]["jpeg"])


class PhotoStore:
    """A store written by ``python -m colorization.prepare`` (a folder or a URL)."""

    def __init__(self, store: str, option: str = "data.store") -> None:
        self.location = location.normalised(store)
        text = location.read_text(self.location, "store.json", option=option)
        try:
            self.info: dict[str, Any] = json.loads(text)
        except json.JSONDecodeError as error:
            raise ValueError(
                f"{location.join(self.location, 'store.json')} is damaged ({error}): make the "
                "store again with python -m colorization.prepare."
            ) from None
        version = self.info.get("version")
        if version not in (1, STORE_VERSION):
            raise ValueError(
                f"{location.join(self.location, 'store.json')} is of store version {version}; "
                f"this version reads 1 and {STORE_VERSION}: run python -m colorization.prepare "
                "again."
            )
        self.version = int(version)
        self.legacy = None
        if self.version == 1:
            from colorization.data.photos.store_v1 import PixelStore

            self.legacy = PixelStore(self.location)

    @property
    def streams(self) -> bool:
        """Whether training streams it with LitData (a store of version 1 does not)."""
        return self.legacy is None

    def count(self, split: str) -> int:
        return int(self.info["counts"][split])

    def photos(self, split: str) -> list[Photo]:
        """The photos of ``split`` (train, val or test), loaded on demand, named
        ``<split>/<index>`` as the manifest lists them."""
        if split not in SPLITS:
            raise ValueError(f"A store has the splits {', '.join(SPLITS)}, not {split!r}.")
        if self.legacy is not None:
            return self.legacy.photos(split)
        return [
            Photo(f"{split}/{i}", f"{split}/{i}", StoredPhotoLoader(self.location, split, i))
            for i in range(self.count(split))
        ]


def stored_item(index: int, image: torch.Tensor) -> dict[str, Any]:
    """One item of a split's dataset."""
    return {"index": int(index), "jpeg": encode(image)}
