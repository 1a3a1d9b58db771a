"""What every DataModule here shares: the batch-size attribute Lightning's finder sets, and
the DataLoader settings (persistent workers, pinned memory on CUDA, drop_last in training)."""

from __future__ import annotations

import pytorch_lightning as pl
import torch
from torch.utils.data import DataLoader, Dataset


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

    def _loader(self, dataset: Dataset, batch_size: int, shuffle: bool) -> DataLoader:
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
        )

    def train_dataloader(self) -> DataLoader:
        return self._loader(self.train_set, self.hparams.batch_size, shuffle=True)

    def val_dataloader(self) -> DataLoader:
        batch = self.hparams.val_batch_size or self.hparams.batch_size
        return self._loader(self.val_set, batch, shuffle=False)

    def test_dataloader(self) -> DataLoader:
        return self.val_dataloader()
