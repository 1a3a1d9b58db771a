"""Denoising data: the noise (levels, seeds), benchmark folders tested whole (the photo
DataModule's ``test_whole``), the classical denoisers' errors."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from colorization.data.denoising.baselines import denoise_with
from colorization.data.denoising.noise import checked_sigma, noisy_images
from colorization.data.photos import PhotoDataModule


def test_a_level_or_a_range() -> None:
    assert checked_sigma(25) == (25.0, 25.0)
    assert checked_sigma([0, 55]) == (0.0, 55.0)
    with pytest.raises(ValueError, match=r"e\.g\. 25 or \[0, 55\]"):
        checked_sigma([55, 0])
    for text in ("abc", ["a", 5], None):  # task.sigma=abc once said "could not convert ..."
        with pytest.raises(ValueError, match=r"^task.sigma must be one noise level"):
            checked_sigma(text)


def test_seeded_noise_is_the_same_on_any_batch_and_level_zero_adds_none() -> None:
    clean = torch.full((2, 3, 8, 8), 0.5)
    first = noisy_images(clean, (25, 25), seeds=[7, 8])
    alone = noisy_images(clean[1:], (25, 25), seeds=[8])
    torch.testing.assert_close(first[1:], alone)
    torch.testing.assert_close(noisy_images(clean, (0, 0)), clean)


def write_photo(path: Path, width: int, height: int) -> None:
    pixels = np.random.default_rng(0).integers(0, 256, (height, width, 3), dtype=np.uint8)
    Image.fromarray(pixels).save(path)


def test_a_test_folder_is_tested_whole_one_image_per_batch(tmp_path: Path) -> None:
    folder = tmp_path / "bench"
    folder.mkdir()
    write_photo(folder / "a.png", 70, 50)
    write_photo(folder / "b.png", 41, 66)
    datamodule = PhotoDataModule(
        test_root=str(folder), test_whole=True, image_size=32, num_workers=0
    )
    datamodule.setup("test")
    shapes = sorted(tuple(batch["image"].shape) for batch in datamodule.test_dataloader())
    assert shapes == [(1, 3, 50, 70), (1, 3, 66, 41)]
    assert datamodule.test_set.item_name(0).endswith("a.png")
    cropped = PhotoDataModule(test_root=str(folder), image_size=32, num_workers=0)
    cropped.setup("test")
    assert {tuple(b["image"].shape[-2:]) for b in cropped.test_dataloader()} == {(32, 32)}


def test_bm3d_without_its_package_says_how_to_get_it(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "bm3d", None)  # as if not installed
    with pytest.raises(ValueError, match="pip install bm3d"):
        denoise_with("bm3d", torch.rand(1, 3, 16, 16), 25)


def test_bm3d_where_installed_denoises() -> None:
    pytest.importorskip("bm3d")
    clean = torch.full((1, 1, 32, 32), 0.5)
    noisy = noisy_images(clean, (25, 25), seeds=[0])
    denoised = denoise_with("bm3d", noisy, 25)
    assert (denoised - clean).abs().mean() < (noisy - clean).abs().mean() / 3
