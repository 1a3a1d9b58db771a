"""colorization.data.photos.crops: random crops, grid views, photo splits."""

from __future__ import annotations

import logging

import pytest
import torch

from colorization.data.images import Photo
from colorization.data.photos.crops import GridViewDataset, RandomCropDataset, split_photos


def test_a_file_that_breaks_after_the_check_does_not_stop_the_epoch(caplog) -> None:
    def broken() -> torch.Tensor:
        raise ValueError("Could not decode image bad.jpg: corrupt data.")

    good = Photo("good", "good", lambda: torch.zeros(3, 40, 40, dtype=torch.uint8))
    dataset = RandomCropDataset([Photo("bad", "bad", broken), good], 16, 4)
    with caplog.at_level(logging.WARNING):
        items = [dataset[i] for i in range(4)]
    assert all(item["image"].shape == (3, 16, 16) for item in items)
    assert caplog.text.count("bad.jpg") == 1  # reported once, then avoided


def test_split_photos_keeps_groups_together_and_is_reproducible() -> None:
    photos = [Photo(f"p{i}", f"g{i // 2}", lambda: torch.zeros(3, 8, 8)) for i in range(20)]
    train, val = split_photos(photos, val_fraction=0.2, seed=3)
    assert len(val) == 4 and len(train) == 16
    assert not {p.group for p in train} & {p.group for p in val}
    assert [p.name for p in split_photos(photos, 0.2, seed=3)[1]] == [p.name for p in val]
    with pytest.raises(ValueError, match="at least 2"):
        split_photos(photos[:2], 0.5, seed=0)  # one group only


def test_random_crops_have_the_requested_size() -> None:
    photo = Photo("p", "p", lambda: torch.randint(0, 255, (3, 50, 70), dtype=torch.uint8))
    dataset = RandomCropDataset([photo], size=24, samples_per_epoch=6)
    assert len(dataset) == 6
    item = dataset[3]
    assert item["image"].shape == (3, 24, 24) and item["index"] == 3


def test_grid_views_tile_the_centre_crop() -> None:
    image = torch.arange(3 * 40 * 40, dtype=torch.int64).remainder(256).to(torch.uint8)
    photo = Photo("p", "p", lambda: image.view(3, 40, 40))
    views = GridViewDataset([photo], size=20, grid=2)
    assert len(views) == 4
    assert torch.equal(views[3]["image"], image.view(3, 40, 40)[:, 20:, 20:])


def test_a_large_photo_is_downscaled_once_and_not_decoded_again() -> None:
    decodes = []

    def load() -> torch.Tensor:
        decodes.append(1)
        return torch.zeros(3, 400, 600, dtype=torch.uint8)

    dataset = RandomCropDataset([Photo("big", "big", load)], 16, 8, keep_side=100)
    items = [dataset[i] for i in range(8)]
    assert len(decodes) == 1  # then served from the downscaled copy
    assert dataset._downscaled[0].shape == (3, 100, 150)
    assert all(item["image"].shape == (3, 16, 16) for item in items)
