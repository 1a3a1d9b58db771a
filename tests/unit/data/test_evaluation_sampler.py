"""Under DDP each validation image goes to exactly one rank (no padding repeats)."""

from __future__ import annotations

import types

import pytest
import torch
from torch.utils.data import TensorDataset

from colorization.data.base import ImageDataModule


def loaders_of(world_size: int, images: int) -> list[list[int]]:
    """The image indices each rank's validation loader serves."""
    dataset = TensorDataset(torch.arange(images))
    shares = []
    for rank in range(world_size):
        module = ImageDataModule(batch_size=2, num_workers=0)
        module.trainer = types.SimpleNamespace(world_size=world_size, global_rank=rank)
        loader = module._loader(dataset, 2, shuffle=False)
        shares.append([int(i) for (batch,) in loader for i in batch])
    return shares


def test_every_image_is_scored_once_whatever_the_world_size() -> None:
    shares = loaders_of(world_size=2, images=5)
    assert shares == [[0, 2, 4], [1, 3]]
    assert loaders_of(world_size=1, images=5) == [[0, 1, 2, 3, 4]]


def test_fewer_images_than_ranks_stop_with_the_fix() -> None:
    with pytest.raises(ValueError, match="1 images but the run has 2 processes.*fewer devices"):
        loaders_of(world_size=2, images=1)
