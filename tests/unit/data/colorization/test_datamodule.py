"""ColorizationDataModule on a folder of photos, and its argument checks."""

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from colorization.data import ColorizationDataModule


def write_images(folder: Path, count: int, size: tuple[int, int] = (40, 30)) -> list[Path]:
    """``count`` random RGB images in every supported format, some in sub-folders."""
    rng = np.random.default_rng(0)
    suffixes = [".png", ".jpg", ".bmp", ".tif", ".webp"]
    paths = []
    for i in range(count):
        path = folder / f"sub{i % 2}" / f"img{i}{suffixes[i % len(suffixes)]}"
        path.parent.mkdir(parents=True, exist_ok=True)
        pixels = rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)
        Image.fromarray(pixels).save(path)
        paths.append(path)
    return paths


def test_datamodule_on_a_folder(tmp_path: Path) -> None:
    write_images(tmp_path, 10, size=(48, 40))
    dm = ColorizationDataModule(
        root=str(tmp_path), image_size=32, batch_size=4, num_workers=0, train_samples_per_epoch=8
    )
    dm.setup("fit")
    train_names = {p.name for p in dm.train_set.photos}
    val_names = {p.name for p in dm.val_set.photos}
    assert len(val_names) == 1 and not train_names & val_names
    batch = next(iter(dm.train_dataloader()))
    assert batch["image"].shape == (4, 3, 32, 32) and batch["image"].dtype == torch.uint8
    first = next(iter(dm.val_dataloader()))["image"]
    assert torch.equal(first, next(iter(dm.val_dataloader()))["image"])


def test_datamodule_rejects_bad_settings() -> None:
    with pytest.raises(ValueError, match="data.image_size"):
        ColorizationDataModule(image_size=0)
    with pytest.raises(ValueError, match="data.crop_scale"):
        ColorizationDataModule(crop_scale=(0.5, 0.1))
