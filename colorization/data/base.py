"""What every DataModule here shares: the batch-size attribute Lightning's finder sets, and
the DataLoader settings (persistent workers, pinned memory on CUDA, drop_last in training)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pytorch_lightning as pl
import torch
from torch.utils.data import DataLoader, Dataset


def checked_sizes(
    image_size: int, batch_size: int, crop_scale: Sequence[float] | None = None
) -> tuple[float, ...] | None:
    """Validate the size arguments every DataModule takes (``crop_scale`` where it has one);
    returns ``crop_scale`` as a tuple of plain floats (hyper-parameters go into checkpoints,
    which load with ``weights_only``)."""
    if image_size < 1:
        raise ValueError(f"data.image_size must be a positive integer, got {image_size}.")
    if batch_size < 1:
        raise ValueError(f"data.batch_size must be >= 1, got {batch_size}.")
    if crop_scale is None:
        return None
    if len(crop_scale) != 2 or not 0.0 < crop_scale[0] <= crop_scale[1] <= 1.0:
        raise ValueError(f"data.crop_scale must be [min, max] in (0, 1], got {crop_scale}.")
    return tuple(float(x) for x in crop_scale)


class ImageDataModule(pl.LightningDataModule):
    """Subclasses save ``batch_size``, ``val_batch_size``, ``num_workers`` and ``pin_memory``
    as hyper-parameters and build ``train_set`` / ``val_set`` in ``setup``."""

    train_set: Dataset | None = None
    val_set: Dataset | None = None

    @property
    def batch_size(self) -> int:
        """Training batch size (a settable attribute, as Lightning's batch-size finder expects)."""
        return self.hparams.batch_size

    @batch_size.setter
    def batch_size(self, value: int) -> None:
        self.hparams.batch_size = value

    def _loader(
        self,
        dataset: Dataset,
        batch_size: int,
        shuffle: bool,
        collate_fn: Callable[[list[Any]], Any] | None = None,
    ) -> DataLoader:
        workers = self.hparams.num_workers
        pin = self.hparams.pin_memory
        if pin is None:
            pin = torch.cuda.is_available()
        return DataLoader(
            dataset,
            batch_size=batch_size,
            shuffle=shuffle,
            num_workers=workers,
            persistent_workers=workers > 0,
            pin_memory=pin,
            drop_last=shuffle and len(dataset) >= batch_size,
            collate_fn=collate_fn,
        )

    def train_dataloader(self) -> DataLoader:
        return self._loader(self.train_set, self.hparams.batch_size, shuffle=True)

    def val_dataloader(self) -> DataLoader:
        batch = self.hparams.val_batch_size or self.hparams.batch_size
        return self._loader(self.val_set, batch, shuffle=False)

    def test_dataloader(self) -> DataLoader:
        return self.val_dataloader()
