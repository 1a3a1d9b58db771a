"""colorization.data.segmentation.masks: image/mask folders, their checks, joint augmentation."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest
import torch
from helpers import write_pair
from PIL import Image

from colorization.data import SegmentationDataModule
from colorization.data.segmentation.masks import (
    MaskPairDataset,
    SegmentationPairs,
    check_pairs,
    pair_images_and_masks,
    train_transform,
)

# --- folders of images and masks ------------------------------------------------------------


def folder_module(root: Path, **kwargs) -> SegmentationDataModule:
    settings = dict(
        images=str(root / "images"),
        masks=str(root / "masks"),
        mask_suffix="_mask",
        image_size=24,
        batch_size=2,
        num_workers=0,
    )
    return SegmentationDataModule(**{**settings, **kwargs})


def test_pairs_match_by_stem_and_suffix_including_gif(tmp_path: Path) -> None:
    write_pair(tmp_path, "car1")
    write_pair(tmp_path, "car2", ext=".gif")
    pairs = pair_images_and_masks(tmp_path / "images", tmp_path / "masks", "_mask")
    assert [(p.image.name, p.mask.name) for p in pairs] == [
        ("car1.jpg", "car1_mask.png"),
        ("car2.jpg", "car2_mask.gif"),
    ]


def test_missing_mask_names_the_images_and_the_suffix_fix(tmp_path: Path) -> None:
    write_pair(tmp_path, "a")
    write_pair(tmp_path, "b")
    (tmp_path / "masks" / "b_mask.png").unlink()
    with pytest.raises(FileNotFoundError, match=r"1 of 2 images.*\n  b\.jpg") as error:
        pair_images_and_masks(tmp_path / "images", tmp_path / "masks", "_mask")
    assert "data.mask_suffix" in str(error.value)
    with pytest.raises(FileNotFoundError, match="named like 'a_mask'"):
        pair_images_and_masks(tmp_path / "images", tmp_path / "masks", "")


def test_size_mismatch_is_reported_before_training(tmp_path: Path) -> None:
    for stem in ("a", "b", "c"):
        write_pair(tmp_path, stem)
    Image.fromarray(np.zeros((10, 10), np.uint8)).save(tmp_path / "masks" / "b_mask.png")
    with pytest.raises(ValueError, match=r"(?s)differ in size.*b\.jpg \(40, 30\) vs b_mask\.png"):
        folder_module(tmp_path).setup("fit")


def test_values_outside_the_classes_are_reported(tmp_path: Path) -> None:
    for stem in ("a", "b", "c"):
        write_pair(tmp_path, stem, values=(0, 1, 2))
    write_pair(tmp_path, "d", values=(0, 7))
    with pytest.raises(ValueError, match=r"(?s)outside the classes.*d_mask\.png: values \[7\]"):
        folder_module(tmp_path, num_classes=3).setup("fit")
    folder_module(tmp_path, num_classes=3, ignore_index=7).setup("fit")  # declared: fine


def test_binary_masks_0_255_become_0_1(tmp_path: Path) -> None:
    for stem in ("a", "b", "c"):
        write_pair(tmp_path, stem)
    module = folder_module(tmp_path)
    module.setup("fit")
    batch = next(iter(module.val_dataloader()))
    assert batch["image"].shape[1:] == (3, 24, 24) and batch["mask"].shape[1:] == (24, 24)
    assert set(batch["mask"].unique().tolist()) <= {0, 1}


def test_augmentation_keeps_image_and_mask_aligned() -> None:
    """Image = mask pattern x 60 in every channel; after crops, flips and rotations the two must
    still agree pixel for pixel (the image is bilinear, so edge pixels may blend)."""
    blocks = torch.arange(16).reshape(4, 4) % 4
    mask = blocks.repeat_interleave(16, 0).repeat_interleave(16, 1)
    image = (mask * 60).to(torch.uint8).expand(3, -1, -1).clone()
    samples = SegmentationPairs(
        [(image, mask)], train_transform(48, (0.3, 1.0), 30.0, True, ignore_index=255)
    )
    torch.manual_seed(0)
    for _ in range(10):
        item = samples[0]
        labels, values = item["mask"], item["image"][0].float()
        inside = labels != 255
        agree = (values[inside] / 60).round() == labels[inside]
        assert agree.float().mean() > 0.9


def test_a_single_common_mask_suffix_is_detected_and_used(tmp_path: Path, caplog) -> None:
    """The Kaggle layout (car000.jpg / car000_mask.gif), where car0001 also starts with car000."""
    for stem in ("car000", "car0001", "car002"):
        write_pair(tmp_path, stem, suffix="_mask", ext=".gif")
    with caplog.at_level(logging.INFO):
        pairs = pair_images_and_masks(tmp_path / "images", tmp_path / "masks")
    assert [(p.image.stem, p.mask.stem) for p in pairs] == [
        ("car000", "car000_mask"),
        ("car0001", "car0001_mask"),
        ("car002", "car002_mask"),
    ]
    assert "using data.mask_suffix=_mask" in caplog.text


def test_an_exif_rotated_image_pairs_with_a_mask_drawn_on_the_upright_view(tmp_path) -> None:
    (tmp_path / "images").mkdir()
    (tmp_path / "masks").mkdir()
    exif = Image.Exif()
    exif[0x0112] = 6  # stored 40 x 20, shown 20 x 40
    Image.fromarray(np.zeros((20, 40, 3), np.uint8)).save(tmp_path / "images" / "a.jpg", exif=exif)
    mask = np.zeros((40, 20), np.uint8)
    mask[:10] = 255  # drawn on the upright view: the top quarter
    Image.fromarray(mask).save(tmp_path / "masks" / "a.png")
    pairs = pair_images_and_masks(tmp_path / "images", tmp_path / "masks")
    check_pairs(pairs, num_classes=2, ignore_index=None)  # sizes agree once upright
    dataset = MaskPairDataset(pairs, num_classes=2, ignore_index=None)
    image, target = dataset[0]
    assert image.shape[-2:] == target.shape[-2:] == (40, 20)


def test_a_test_root_of_images_and_masks_is_the_test_set(tmp_path: Path) -> None:
    """``evaluate <segmentation run> data.test_root=<folder>`` (the README's "another test
    set") once ended in a traceback: the DataModule had no test_root."""
    for stem in ("a", "b"):
        write_pair(tmp_path / "train", stem)
    for stem in ("t1", "t2", "t3"):
        write_pair(tmp_path / "test", stem)
    module = folder_module(tmp_path / "train", val_fraction=0.5, test_root=str(tmp_path / "test"))
    module.setup("test")
    assert len(module.test_dataloader().dataset) == 3
    synthetic = SegmentationDataModule(
        image_size=24, num_workers=0, test_root=str(tmp_path / "test"), mask_suffix="_mask"
    )
    synthetic.setup("test")
    assert len(synthetic.test_dataloader().dataset) == 3
    missing = folder_module(tmp_path / "train", val_fraction=0.5, test_root=str(tmp_path))
    with pytest.raises(FileNotFoundError, match=r"images does not exist: data.test_root must"):
        missing.setup("test")
