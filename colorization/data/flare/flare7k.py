"""The Flare7K++ test sets (Dai et al., NeurIPS 2022 / TPAMI 2024; github ykdai/Flare7K):

    <root>/input/input_000000.png    the flared photo
    <root>/gt/gt_000000.png          the flare-free photo
    <root>/mask/mask_000000.png      which pixels are glare, streak, light source

(``test_data/real`` and ``test_data/synthetic`` of the download.) Files pair by the part of
their name after the first ``_`` (``000000``), or by the whole name. The mask is an RGB image
whose colours mark glare (255, 255, 0), streak (255, 0, 0) and the light source (0, 0, 255):
:func:`region_masks` reads it as the dataset's evaluation script does.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from torch.utils.data import Dataset

from colorization.data.images import file_listing, find_images, load_rgb, shown

FOLDERS = ("input", "gt", "mask")


def _key(path: Path) -> str:
    """``input_000000`` -> ``000000``; a name without ``_`` is its own key."""
    return path.stem.split("_", 1)[1] if "_" in path.stem else path.stem


def region_masks(mask: torch.Tensor) -> dict[str, torch.Tensor]:
    """Weights in [0, 1] (H, W) of the glare (G), streak (R - G) and global (not the light
    source: 255 - B) regions of a uint8 RGB mask (3, H, W), as Flare7K's ``extract_mask``."""
    red, green, blue = mask.float()
    return {
        "glare": green / 255,
        "streak": (red - green).clamp(min=0) / 255,
        "global": (255 - blue) / 255,
    }


class Flare7kTestSet(Dataset):
    """Items ``{"input", "target", "mask": uint8 (3, H, W), "index"}`` (``mask`` only where
    the set has masks), each pair checked when it is read (same sizes)."""

    def __init__(self, root: str | Path, masks: bool = True) -> None:
        root = Path(root).expanduser()
        needed = FOLDERS if masks else FOLDERS[:2]
        if not root.is_dir():
            raise FileNotFoundError(
                f"data.test_root={shown(root)} does not exist: give a Flare7K++ test folder "
                "(test_data/real or test_data/synthetic)."
            )
        for name in needed:
            if not (root / name).is_dir():
                raise FileNotFoundError(
                    f"{shown(root / name)} does not exist: data.test_root must be a Flare7K++ "
                    f"test folder holding {', '.join(f'{n}/' for n in needed)} "
                    "(test_data/real or test_data/synthetic)."
                )
        found = {
            name: {_key(p): p for p in find_images(root / name, "data.test_root")}
            for name in needed
        }
        keys = sorted(found["gt"])
        unmatched = [
            f"{name}/: no file for {key}"
            for name in needed
            for key in sorted(set(keys) ^ set(found[name]))
        ]
        if unmatched:
            raise FileNotFoundError(
                f"The folders of {shown(root)} do not pair up:{file_listing(unmatched)}\n"
                "Each gt_<n> needs input_<n> and mask_<n> (or the same names in each folder)."
            )
        self.files = [{name: found[name][key] for name in needed} for key in keys]

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, index: int) -> dict[str, Any]:
        files = self.files[index]
        item: dict[str, Any] = {"index": index, "input": load_rgb(files["input"])}
        item["target"] = load_rgb(files["gt"])
        if "mask" in files:
            item["mask"] = load_rgb(files["mask"])
        size = item["input"].shape[-2:]
        if any(item[key].shape[-2:] != size for key in ("target", "mask") if key in item):
            raise ValueError(
                f"{shown(files['input'])} and its gt / mask differ in size: the three images of "
                "a test pair must have one size."
            )
        return item

    def item_name(self, index: int) -> str:
        return self.files[index]["gt"].name
