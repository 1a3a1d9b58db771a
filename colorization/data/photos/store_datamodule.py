"""LightningDataModule of photos from a photo store (``data=photos data.store=DIR or URL``)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from torch.utils.data import DataLoader

from colorization.data.base import WorkerInit
from colorization.data.images import Photo
from colorization.data.photos.crops import GridViewDataset
from colorization.data.photos.datamodule import PhotoDataModule
from colorization.data.photos.store import PhotoStore
from colorization.hardware import resolve_num_workers

log = logging.getLogger(__name__)


class PhotoStoreDataModule(PhotoDataModule):
    """Random crops of the store's train split, streamed by LitData (shared among ranks and
    loader workers, resumable mid-epoch); validation views of its val split; its test split
    for ``python -m colorization.evaluate`` (unless ``data.test_root`` is given).

    Args:
        store: a folder or URL written by ``python -m colorization.prepare``. A store of
            version 1 (colorization 1.x) is read as before, by memory map, on one machine.
        train_samples_per_epoch: crops per epoch, cycling through the train split and going on
            where the last epoch stopped; ``None``: one pass over the split per epoch.
        ``options``: crops, validation views, batch sizes, workers, ...; see
            :class:`~colorization.data.photos.PhotoDataModule` (``root``,
            ``val_root`` and the hold-out split do not apply: the store has its splits).
    """

    ONE_PASS_EPOCHS = True

    def __init__(
        self,
        store: str,
        crop_scale: Sequence[float] = (0.05, 1.0),
        train_samples_per_epoch: int | None = None,
        **options: Any,
    ) -> None:
        # Plain types only (not Hydra's ListConfig): checkpoints load with weights_only=True.
        crop_scale = [float(s) for s in crop_scale]
        super().__init__(
            crop_scale=crop_scale, train_samples_per_epoch=train_samples_per_epoch, **options
        )
        self.store = PhotoStore(str(store))  # checked now: a wrong path stops before training
        if not self.store.streams:
            if train_samples_per_epoch is None:
                raise ValueError(
                    f"data.store={store} is a store of version 1, which has no one-pass epochs: "
                    "give data.train_samples_per_epoch, or convert it (python -m "
                    "colorization.prepare --convert OLD --out NEW)."
                )
            log.warning(
                "data.store=%s is a store of version 1 (colorization 1.x): read as before, on "
                "one machine, without resuming mid-epoch. python -m colorization.prepare "
                "--convert %s --out NEW makes a LitData store of it.",
                store,
                store,
            )
        for split in ("train", "val"):
            if self.store.count(split) < 1:
                raise ValueError(
                    f"data.store={store} has no {split} photos: prepare it again with more "
                    "photos (every split gets one from 3 photos on)."
                )

    @property
    def uses_samples(self) -> bool:
        return False

    def photos(self) -> tuple[list[Photo], list[Photo]]:
        return self.store.photos("train"), self.store.photos("val")

    def setup(self, stage: str | None = None) -> None:
        if self.val_set is not None:
            return
        hp = self.hparams
        if self.store.streams:
            val = self.store.photos("val")
            self.val_set = GridViewDataset(val, hp.image_size, hp.val_grid or 1)
            self._setup_test_root()
        else:
            super().setup(stage)
        if hp.test_root is None and self.store.count("test"):
            test = self.store.photos("test")
            self.test_set = GridViewDataset(test, hp.image_size, hp.val_grid or 1)

    def train_dataloader(self) -> DataLoader:
        if not self.store.streams:
            return super().train_dataloader()
        from colorization.data.photos.streaming import train_loader, train_stream

        hp = self.hparams
        workers = resolve_num_workers(hp.num_workers)
        stream = train_stream(self.store.location, hp.image_size, hp.crop_scale)
        rank = self.trainer.global_rank if self.trainer else 0
        loader = train_loader(
            stream,
            hp.batch_size,
            hp.train_samples_per_epoch,
            self.trainer.world_size if self.trainer else 1,
            num_workers=workers,
            pin_memory=self._pin_memory(),
            persistent_workers=workers > 0,
            multiprocessing_context=hp.multiprocessing_context if workers > 0 else None,
            worker_init_fn=WorkerInit(rank) if workers > 0 else None,
        )
        return self.positioned(loader)
