"""Super-resolution benchmark sets (Set5, Set14, B100, Urban100, Manga109) as papers test them.

Layouts accepted under the set's folder:

    <root>/HR/baby.png + <root>/LR_bicubic/X2/babyx2.png   the sets' own LR images (as DIV2K)
    <root>/HR/baby.png                                     LR made here by MATLAB's imresize
    <root>/baby.png                                        the same, images at the top

Each HR image is cropped to a multiple of the scale ("modcrop"); LR images made here are
MATLAB's ``imresize(HR, 1/s, 'bicubic')`` rounded to 8 bits, as the sets' own LR files are.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from torch.utils.data import Dataset

from colorization.data.images import find_images, load_rgb, shown
from colorization.data.superres.degradation import bicubic_downsample, crop_to_multiple


class MatlabDownsampled(Dataset):
    """Items ``{"image": uint8 HR (modcropped), "low": uint8 LR, "index"}`` of whole images:
    ``images`` (a dataset of ``{"image", "index"}`` items) with LR by MATLAB's bicubic, or its
    own ``low`` where an item has one (paired data, its HR already fitted to it)."""

    def __init__(self, images: Dataset, scale: int) -> None:
        self.images, self.scale = images, scale

    def __len__(self) -> int:
        return len(self.images)  # type: ignore[arg-type]

    def __getitem__(self, index: int) -> dict[str, Any]:
        item = self.images[index]
        if "low" in item:
            return {"image": item["image"], "low": item["low"], "index": index}
        high = crop_to_multiple(item["image"], self.scale)
        if min(high.shape[-2:]) < self.scale:
            raise ValueError(f"{self.item_name(index)} is smaller than the scale {self.scale}.")
        low = bicubic_downsample(high[None].float() / 255, self.scale, "matlab")[0]
        return {"image": high, "low": (low * 255).round().to(torch.uint8), "index": index}

    def item_name(self, index: int) -> str:
        name_of = getattr(self.images, "item_name", None)
        return name_of(index) if name_of else f"#{index}"


class BenchmarkImages(Dataset):
    """The images of a folder, whole: ``{"image": uint8, "index"}``."""

    def __init__(self, paths: list[Path]) -> None:
        self.paths = paths

    def __len__(self) -> int:
        return len(self.paths)

    def __getitem__(self, index: int) -> dict[str, Any]:
        return {"image": load_rgb(self.paths[index]), "index": index}

    def item_name(self, index: int) -> str:
        return self.paths[index].name


class GivenPairs(Dataset):
    """A set's own HR / LR pairs: ``{"image": uint8 HR (modcropped), "low": uint8 LR}``."""

    def __init__(self, root: Path, scale: int) -> None:
        from colorization.data.superres.div2k import check_resolution_pairs, div2k_pairs

        self.pairs, self.scale = div2k_pairs(root, scale), scale
        check_resolution_pairs(self.pairs, scale, min_size=0)  # headers, before any score

    def __len__(self) -> int:
        return len(self.pairs)

    def __getitem__(self, index: int) -> dict[str, Any]:
        pair = self.pairs[index]
        low = load_rgb(pair.low)
        high = crop_to_multiple(load_rgb(pair.high), self.scale)
        if tuple(high.shape[-2:]) != (low.shape[-2] * self.scale, low.shape[-1] * self.scale):
            raise ValueError(
                f"{shown(pair.low)} is not {shown(pair.high)}'s size / {self.scale}: re-make it "
                "or remove the LR_bicubic folder (the LR images are then made here)."
            )
        return {"image": high, "low": low, "index": index}

    def item_name(self, index: int) -> str:
        return self.pairs[index].high.name


def benchmark_set(root: str | Path, scale: int) -> Dataset:
    """The benchmark set under ``root`` in one of the module's layouts (its own LR images when
    ``LR_bicubic/X<scale>`` is there); a missing folder stops in one line naming it."""
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(
            f"{shown(root)} does not exist: give data.test_root=<a benchmark set's folder "
            "(HR/ and LR_bicubic/X<s>/, or HR/, or the images)>."
        )
    if (root / "LR_bicubic" / f"X{scale}").is_dir():
        return GivenPairs(root, scale)
    high = root / "HR" if (root / "HR").is_dir() else root
    paths = find_images(high, "data.test_root")
    return MatlabDownsampled(BenchmarkImages(paths), scale)
