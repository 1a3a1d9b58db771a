"""The Flare7K++ test layout: pairing, the region masks, and the one-line layout errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from colorization.data.flare.flare7k import Flare7kTestSet, region_masks


def flare7k_folder(root: Path, count: int = 2, size: int = 8) -> Path:
    for index in range(count):
        for folder in ("input", "gt", "mask"):
            path = root / folder / f"{folder}_{index:06d}.png"
            path.parent.mkdir(parents=True, exist_ok=True)
            Image.fromarray(np.full((size, size, 3), 40 * index, np.uint8)).save(path)
    return root


def test_the_three_folders_pair_by_number(tmp_path: Path) -> None:
    dataset = Flare7kTestSet(flare7k_folder(tmp_path))
    assert len(dataset) == 2 and dataset.item_name(1) == "gt_000001.png"
    item = dataset[1]
    assert {"input", "target", "mask", "index"} <= set(item)
    assert int(item["target"][0, 0, 0]) == 40


def test_a_missing_folder_or_partner_stops_naming_it(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="real does not exist"):
        Flare7kTestSet(tmp_path / "real")
    root = flare7k_folder(tmp_path / "real")
    (root / "mask" / "mask_000001.png").unlink()
    with pytest.raises(FileNotFoundError, match="mask/: no file for 000001"):
        Flare7kTestSet(root)
    for path in (root / "mask").iterdir():
        path.unlink()
    (root / "mask").rmdir()
    with pytest.raises(FileNotFoundError, match=r"real/mask does not exist: .*input/, gt/, mask/"):
        Flare7kTestSet(root)


def test_mask_colours_give_the_glare_streak_and_global_regions() -> None:
    colours = torch.tensor([[255, 255, 0], [255, 0, 0], [0, 0, 255], [0, 0, 0]], dtype=torch.uint8)
    mask = colours.T.reshape(3, 1, 4)  # one pixel of each colour
    regions = region_masks(mask)
    assert regions["glare"][0].tolist() == [1, 0, 0, 0]
    assert regions["streak"][0].tolist() == [0, 1, 0, 0]
    assert regions["global"][0].tolist() == [1, 1, 0, 1]  # all but the light source
