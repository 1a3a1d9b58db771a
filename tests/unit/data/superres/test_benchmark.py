"""Super-resolution benchmark folders: their layouts, the LR made by MATLAB's bicubic, and the
one-line errors of a wrong layout."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from PIL import Image

from colorization.data.superres.benchmark import GivenPairs, MatlabDownsampled, benchmark_set
from colorization.data.superres.matlab_resize import matlab_imresize


def save(path: Path, height: int, width: int, seed: int = 0) -> torch.Tensor:
    path.parent.mkdir(parents=True, exist_ok=True)
    generator = torch.Generator().manual_seed(seed)
    image = torch.randint(0, 256, (height, width, 3), dtype=torch.uint8, generator=generator)
    Image.fromarray(image.numpy()).save(path)
    return image.permute(2, 0, 1)


def test_an_hr_folder_gets_matlab_lr_images_of_modcropped_hr(tmp_path: Path) -> None:
    image = save(tmp_path / "HR" / "baby.png", 13, 11)
    dataset = benchmark_set(tmp_path, 2)
    assert isinstance(dataset, MatlabDownsampled) and len(dataset) == 1
    item = dataset[0]
    assert item["image"].shape == (3, 12, 10) and item["low"].shape == (3, 6, 5)
    torch.testing.assert_close(item["image"], image[:, :12, :10])
    expected = matlab_imresize(image[None, :, :12, :10].float() / 255, 1 / 2)[0]
    expected = (expected.clamp(0, 1) * 255).round().to(torch.uint8)
    torch.testing.assert_close(item["low"], expected)
    assert dataset.item_name(0) == "baby.png"


def test_images_at_the_top_of_the_folder_work_too(tmp_path: Path) -> None:
    save(tmp_path / "bird.png", 12, 12)
    save(tmp_path / "head.png", 9, 12, seed=1)
    dataset = benchmark_set(tmp_path, 3)
    assert [dataset.item_name(i) for i in range(2)] == ["bird.png", "head.png"]
    assert dataset[1]["low"].shape == (3, 3, 4)


def test_the_sets_own_lr_images_are_used_when_they_are_there(tmp_path: Path) -> None:
    save(tmp_path / "HR" / "baby.png", 12, 12)
    low = save(tmp_path / "LR_bicubic" / "X2" / "babyx2.png", 6, 6, seed=3)
    dataset = benchmark_set(tmp_path, 2)
    assert isinstance(dataset, GivenPairs)
    torch.testing.assert_close(dataset[0]["low"], low)


def test_a_missing_folder_or_lr_partner_stops_naming_it(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="Set5 does not exist: give data.test_root"):
        benchmark_set(tmp_path / "Set5", 2)
    save(tmp_path / "HR" / "baby.png", 12, 12)
    save(tmp_path / "HR" / "bird.png", 12, 12)
    save(tmp_path / "LR_bicubic" / "X2" / "babyx2.png", 6, 6)
    with pytest.raises(FileNotFoundError, match="bird.png: no birdx2"):
        benchmark_set(tmp_path, 2)


def test_paired_items_keep_their_own_lr_images() -> None:
    high = torch.randint(0, 256, (3, 12, 10), dtype=torch.uint8)
    low = torch.randint(0, 256, (3, 6, 5), dtype=torch.uint8)
    item = MatlabDownsampled([{"image": high, "low": low, "index": 0}], 2)[0]
    assert item["low"] is low and item["image"] is high


def test_lr_images_that_are_not_hr_over_the_scale_are_refused_before_any_score(
    tmp_path: Path,
) -> None:
    """A 40x30 LR for a 96x80 HR at x2 was once scored against HR's top-left 80x60 crop."""
    save(tmp_path / "HR" / "baby.png", 80, 96)
    save(tmp_path / "LR_bicubic" / "X2" / "babyx2.png", 30, 40)
    with pytest.raises(ValueError, match=r"babyx2.png \(40, 30\), for baby.png \(96, 80\)"):
        benchmark_set(tmp_path, 2)


def test_an_odd_hr_image_pairs_with_the_lr_of_its_modcrop(tmp_path: Path) -> None:
    save(tmp_path / "HR" / "baby.png", 13, 11)
    save(tmp_path / "LR_bicubic" / "X2" / "babyx2.png", 6, 5)
    item = benchmark_set(tmp_path, 2)[0]
    assert item["image"].shape == (3, 12, 10) and item["low"].shape == (3, 6, 5)
