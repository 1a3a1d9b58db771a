"""DIV2K-layout pairs: found by name, checked from their headers, cut into aligned patches."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from colorization.data.superres.div2k import (
    Div2kDataModule,
    ResolutionPairs,
    check_resolution_pairs,
    div2k_pairs,
)

RNG = np.random.default_rng(0)


def write_pair(root: Path, name: str, low_size: tuple[int, int], scale: int = 2) -> None:
    """An LR image and its HR version (each LR pixel repeated scale x scale)."""
    low = RNG.integers(0, 256, (low_size[1], low_size[0], 3), dtype=np.uint8)
    high = low.repeat(scale, axis=0).repeat(scale, axis=1)
    (root / "HR").mkdir(parents=True, exist_ok=True)
    (root / "LR_bicubic" / f"X{scale}").mkdir(parents=True, exist_ok=True)
    Image.fromarray(high).save(root / "HR" / f"{name}.png")
    Image.fromarray(low).save(root / "LR_bicubic" / f"X{scale}" / f"{name}x{scale}.png")


def test_pairs_are_matched_by_name_and_a_missing_lr_file_is_named(tmp_path: Path) -> None:
    for name in ("0001", "0002"):
        write_pair(tmp_path, name, (20, 18))
    pairs = div2k_pairs(tmp_path, 2)
    assert [(p.high.name, p.low.name) for p in pairs] == [
        ("0001.png", "0001x2.png"),
        ("0002.png", "0002x2.png"),
    ]
    (tmp_path / "LR_bicubic" / "X2" / "0002x2.png").unlink()
    with pytest.raises(FileNotFoundError, match="(?s)1 HR images have no LR partner.*0002.png"):
        div2k_pairs(tmp_path, 2)
    with pytest.raises(FileNotFoundError, match="(?s)X3 does not exist.*data.lr_dir"):
        div2k_pairs(tmp_path, 3)


def test_an_lr_image_of_the_wrong_size_for_the_scale_stops_with_the_fix(tmp_path: Path) -> None:
    write_pair(tmp_path, "0001", (20, 18))
    Image.new("RGB", (21, 18)).save(tmp_path / "LR_bicubic" / "X2" / "0001x2.png")
    with pytest.raises(ValueError, match=r"0001x2.png \(21, 18\), for 0001.png \(40, 36\)"):
        check_resolution_pairs(div2k_pairs(tmp_path, 2), 2, 16)
    write_pair(tmp_path, "0001", (20, 18))
    with pytest.raises(ValueError, match="smaller than the training patch data.image_size=48"):
        check_resolution_pairs(div2k_pairs(tmp_path, 2), 2, 48)


@pytest.mark.parametrize("scale", [2, 3])
def test_training_patches_stay_aligned_through_flips_and_turns(tmp_path: Path, scale: int):
    write_pair(tmp_path, "0001", (17, 13), scale)
    dataset = ResolutionPairs(div2k_pairs(tmp_path, scale), scale, patch=4 * scale, length=20)
    for index in range(20):
        item = dataset[index]
        low, high = item["low"], item["image"]
        assert low.shape == (3, 4, 4) and high.shape == (3, 4 * scale, 4 * scale)
        repeated = low.repeat_interleave(scale, -1).repeat_interleave(scale, -2)
        assert torch.equal(high, repeated)


def test_the_datamodule_holds_out_pairs_and_validates_whole_images(tmp_path: Path) -> None:
    for index in range(5):
        write_pair(tmp_path, f"{index:04d}", (20 + index, 18))
    data = Div2kDataModule(str(tmp_path), scale=2, image_size=16, num_workers=0, val_fraction=0.2)
    data.setup("fit")
    assert len(data.val_set) == 1 and data.val_dataloader().batch_size == 1
    item = data.val_set[0]
    assert item["image"].shape[-2:] == (36, item["low"].shape[-1] * 2)
    with pytest.raises(ValueError, match="multiple of the scale"):
        Div2kDataModule(str(tmp_path), scale=3, image_size=16)
