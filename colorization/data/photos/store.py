"""The photo store: decoded photos as raw uint8 pixels, one file per split, read by memory map.

    DIR/store.json         version, short side, counts per split, how it was made
    DIR/manifest.csv       split, index, name, source, original and stored size, licence
    DIR/<split>.pixels     every photo of the split, H x W x 3 uint8, one after the other
    DIR/<split>.index.npy  int64 (n, 3): byte offset, height, width of each photo

Reading a photo maps its bytes and copies them: no decoding per training step, and the loader
workers share the operating system's page cache instead of each holding decoded photos.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from colorization.data.images import Photo, shown

STORE_VERSION = 1
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


@dataclass(frozen=True)
class StoredPhotoReader:
    """Loads one photo of a store (picklable: each loader worker maps the file itself)."""

    path: str
    offset: int
    height: int
    width: int

    def __call__(self) -> torch.Tensor:
        pixels = np.memmap(
            self.path, np.uint8, "r", offset=self.offset, shape=(self.height, self.width, 3)
        )
        return torch.from_numpy(np.array(pixels)).permute(2, 0, 1).contiguous()


class SplitWriter:
    """Appends photos to ``<split>.pixels`` and records where each one is."""

    def __init__(self, folder: Path, split: str) -> None:
        self.folder, self.split = folder, split
        self.handle = open(folder / f"{split}.pixels", "wb")  # noqa: SIM115 (closed in close())
        self.rows: list[tuple[int, int, int]] = []
        self.removed: set[int] = set()
        self.offset = 0

    def add(self, image: torch.Tensor) -> int:
        """Store a uint8 (3, H, W) photo; returns its index in the split."""
        pixels = image.permute(1, 2, 0).contiguous().numpy()
        self.handle.write(pixels.tobytes())
        self.rows.append((self.offset, pixels.shape[0], pixels.shape[1]))
        self.offset += pixels.nbytes
        return len(self.rows) - 1

    def read(self, index: int) -> torch.Tensor:
        """A photo written before (uint8 (3, H, W))."""
        self.handle.flush()
        offset, height, width = self.rows[index]
        return StoredPhotoReader(self.handle.name, offset, height, width)()

    def remove(self, index: int) -> None:
        """Leave a written photo out of the split (its bytes stay, unreferenced)."""
        self.removed.add(index)

    def final_index(self, index: int) -> int:
        """Where photo ``index`` ends up once the removed ones are left out."""
        return index - sum(1 for r in self.removed if r < index)

    def close(self) -> int:
        """Write the index; returns the number of photos in the split."""
        self.handle.close()
        rows = [row for i, row in enumerate(self.rows) if i not in self.removed]
        index = np.array(rows, dtype=np.int64).reshape(-1, 3)
        np.save(self.folder / f"{self.split}.index.npy", index)
        return len(rows)


class PhotoStore:
    """A store written by ``python -m colorization.prepare``."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder).expanduser()
        info_path = self.folder / "store.json"
        if not info_path.is_file():
            raise FileNotFoundError(
                f"data.store={shown(self.folder)} is not a photo store (no store.json). Make one "
                "with python -m colorization.prepare <photo folders> --out DIR."
            )
        self.info: dict[str, Any] = json.loads(info_path.read_text())
        if self.info.get("version") != STORE_VERSION:
            raise ValueError(
                f"{shown(info_path)} is of store version {self.info.get('version')}; this version "
                f"reads {STORE_VERSION}: run python -m colorization.prepare again."
            )

    def photos(self, split: str) -> list[Photo]:
        """The photos of ``split`` (train, val or test), loaded on demand."""
        if split not in SPLITS:
            raise ValueError(f"A store has the splits {', '.join(SPLITS)}, not {split!r}.")
        index = np.load(self.folder / f"{split}.index.npy")
        path = str(self.folder / f"{split}.pixels")
        return [
            Photo(
                name=f"{split}/{i}",
                group=f"{split}/{i}",
                load=StoredPhotoReader(path, int(offset), int(height), int(width)),
            )
            for i, (offset, height, width) in enumerate(index)
        ]

    def count(self, split: str) -> int:
        return int(self.info["counts"][split])
