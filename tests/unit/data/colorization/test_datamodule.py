"""PhotoDataModule on a folder of photos, and its argument checks."""

from pathlib import Path

import pytest
import torch
from helpers import write_images

from colorization.data import PhotoDataModule
from colorization.lightning_compat import shutdown_loader_workers


def test_datamodule_on_a_folder(tmp_path: Path) -> None:
    write_images(tmp_path, 10, size=(48, 40))
    dm = PhotoDataModule(
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
        PhotoDataModule(image_size=0)
    with pytest.raises(ValueError, match="data.crop_scale"):
        PhotoDataModule(crop_scale=(0.5, 0.1))
    with pytest.raises(ValueError, match="data.multiprocessing_context must be null, fork"):
        PhotoDataModule(multiprocessing_context="threads")


def test_workers_can_start_from_a_fork_server(tmp_path: Path) -> None:
    """What the benchmark uses: workers that inherit none of the parent's threads."""
    write_images(tmp_path, 4, size=(40, 40))
    options = {"root": str(tmp_path), "image_size": 16, "batch_size": 2}
    dm = PhotoDataModule(**options, num_workers=1, multiprocessing_context="forkserver")
    dm.setup("fit")
    loader = dm.train_dataloader()
    assert loader.multiprocessing_context.get_start_method() == "forkserver"
    try:
        assert next(iter(loader))["image"].shape == (2, 3, 16, 16)
    finally:  # workers ignore SIGTERM: stop them now, or the interpreter waits for them at exit
        shutdown_loader_workers(loader)
    default = PhotoDataModule(**options, num_workers=0)
    default.setup("fit")
    assert default.train_dataloader().multiprocessing_context is None


def test_whole_test_images_are_the_held_out_photos_or_the_test_folder(tmp_path: Path) -> None:
    """What a published protocol tests without a folder of its own: photos at their sizes."""
    held_out = PhotoDataModule(image_size=32, num_workers=0).whole_test_images()
    assert [held_out.item_name(i) for i in range(len(held_out))] == ["chelsea", "coffee"]
    assert held_out[0]["image"].shape == (3, 300, 451)  # scikit-image's chelsea, whole
    write_images(tmp_path, 2, size=(48, 40))
    whole = PhotoDataModule(image_size=32, num_workers=0, test_root=str(tmp_path))
    images = whole.whole_test_images()
    assert [tuple(images[i]["image"].shape) for i in range(len(images))] == [(3, 40, 48)] * 2
