"""LightningDataModule of photos from a photo store (``data=photos data.store=DIR``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from colorization.data.images import Photo
from colorization.data.photos.crops import GridViewDataset
from colorization.data.photos.datamodule import PhotoDataModule
from colorization.data.photos.store import PhotoStore


class PhotoStoreDataModule(PhotoDataModule):
    """Random crops of the store's train split, validation views of its val split, and its
    test split for ``python -m colorization.evaluate`` (unless ``data.test_root`` is given).

    Args:
        store: a folder written by ``python -m colorization.prepare``.
        ``options``: crops, validation views, batch sizes, workers, ...; see
            :class:`~colorization.data.photos.PhotoDataModule` (``root``,
            ``val_root`` and the hold-out split do not apply: the store has its splits).
    """

    def __init__(
        self, store: str, crop_scale: Sequence[float] = (0.05, 1.0), **options: Any
    ) -> None:
        # Plain types only (not Hydra's ListConfig): checkpoints load with weights_only=True.
        crop_scale = [float(s) for s in crop_scale]
        super().__init__(crop_scale=crop_scale, **options)
        self.store = PhotoStore(store)  # checked now: a wrong path stops before training

    @property
    def uses_samples(self) -> bool:
        return False

    def photos(self) -> tuple[list[Photo], list[Photo]]:
        return self.store.photos("train"), self.store.photos("val")

    def setup(self, stage: str | None = None) -> None:
        if self.train_set is not None:
            return
        super().setup(stage)
        if self.hparams.test_root is None and self.store.count("test"):
            hp = self.hparams
            self.test_set = GridViewDataset(
                self.store.photos("test"), hp.image_size, hp.val_grid or 1
            )
