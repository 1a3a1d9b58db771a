"""Photo stores of version 1 (colorization 1.0-1.4): raw uint8 pixels, one file per split, read
by memory map. Read as before, so that a run trained on one keeps working; ``python -m
colorization.prepare --convert OLD --out NEW`` turns one into a LitData store.

    DIR/store.json         version 1, short side, counts per split, how it was made
    DIR/manifest.csv       split, index, name, source, original and stored size, licence
    DIR/<split>.pixels     every photo of the split, H x W x 3 uint8, one after the other
    DIR/<split>.index.npy  int64 (n, 3): byte offset, height, width of each photo
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from colorization.data.images import Photo, shown


@dataclass(frozen=True)
class StoredPixelsReader:
    """Loads one photo of a version-1 store (picklable: each loader worker maps the file)."""

    path: str
    offset: int
    height: int
    width: int

    def __call__(self) -> torch.Tensor:
        pixels = np.memmap(
            self.path, np.uint8, "r", offset=self.offset, shape=(self.height, self.width, 3)
        )
        return torch.from_numpy(np.array(pixels)).permute(2, 0, 1).contiguous()


class PixelStore:
    """The splits of a version-1 store (a local folder)."""

    def __init__(self, folder: str) -> None:
        if "://" in folder:
            raise ValueError(f"A store of version 1 is a local folder, not {folder}.")
        self.folder = Path(folder)

    def photos(self, split: str) -> list[Photo]:
        index_path = self.folder / f"{split}.index.npy"
        try:
            index = np.load(index_path, allow_pickle=False)
        except (OSError, ValueError) as error:
            raise ValueError(
                f"{shown(index_path)} cannot be read ({error}): make the store again with "
                "python -m colorization.prepare."
            ) from None
        if index.ndim != 2 or index.shape[1] != 3:
            raise ValueError(f"{shown(index_path)} is not an (n, 3) index of photos.")
        path = str(self.folder / f"{split}.pixels")
        return [
            Photo(
                name=f"{split}/{i}",
                group=f"{split}/{i}",
                load=StoredPixelsReader(path, int(offset), int(height), int(width)),
            )
            for i, (offset, height, width) in enumerate(index)
        ]
