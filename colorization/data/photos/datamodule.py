"""LightningDataModule of RGB photo crops, split by whole photo: what the tasks that learn from
photos (colorization, super-resolution) draw their examples from on the batch."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from torch.utils.data import DataLoader

from colorization.data.base import ImageDataModule, checked_crop_scale
from colorization.data.file_checks import BadFilePolicy, scan_images
from colorization.data.images import Photo, find_images, photos_from_paths
from colorization.data.photos.crops import (
    GridViewDataset,
    RandomCropDataset,
    WholePhotos,
    split_photos,
)
from colorization.data.sample_photos import sample_split

# Training photos are decoded (large JPEGs at a reduced scale) and kept downscaled to a shorter
# side of this many crop sides: enough for the smallest random crops.
DECODE_SIDE_PER_CROP_SIDE = 8


class PhotoDataModule(ImageDataModule):
    """Batches ``{"image": uint8 (B, 3, S, S), "index": (B,)}`` of RGB crops.

    Args:
        root: folder of images (searched recursively). ``None`` = the built-in sample photos.
        val_root: optional separate validation folder; otherwise ``val_fraction`` of the photos
            under ``root`` (whole photos) are held out, reproducibly by ``split_seed``.
        test_root: optional test folder (``python -m colorization.evaluate``), viewed as
            validation photos are; ``None``: the test set is the validation set.
        test_whole: test the ``test_root`` photos whole, at their own sizes, one per batch (a
            benchmark set such as Kodak24 or BSD68, as the papers test) instead of as views.
        crop_scale: area fraction range of the random resized crop.
        val_grid: validation views per photo side (``None``: 2 for the built-in set, whose
            validation is only two photos, else 1 = resize + centre crop).
        bad_files: what to do with unusable files found by the pre-training check
            (:mod:`colorization.data.file_checks`): ``skip`` them (counted in one summary line)
            or stop with an ``error`` naming them.
        ``common``: image size, batch sizes, workers, hold-out split, samples per epoch,
            cache, pinned memory; see :class:`~colorization.data.base.ImageDataModule`.
    """

    def __init__(
        self,
        root: str | None = None,
        val_root: str | None = None,
        test_root: str | None = None,
        test_whole: bool = False,
        crop_scale: Sequence[float] = (0.05, 1.0),
        val_grid: int | None = None,
        bad_files: BadFilePolicy = "skip",
        **common: Any,
    ) -> None:
        crop_scale = checked_crop_scale(crop_scale)
        super().__init__(**common)
        self.train_set: RandomCropDataset | None = None
        self.val_set: GridViewDataset | None = None
        self.test_set: GridViewDataset | WholePhotos | None = None

    @property
    def uses_samples(self) -> bool:
        return self.hparams.root is None

    def photos(self) -> tuple[list[Photo], list[Photo]]:
        """(train, val) photos for the configured source."""
        hp = self.hparams
        if self.uses_samples:
            return sample_split()
        photos = self._checked_photos(hp.root)
        if hp.val_root is not None:
            return photos, self._checked_photos(hp.val_root)
        return split_photos(photos, hp.val_fraction, hp.split_seed)

    def _checked_photos(
        self,
        root: str,
        option: str = "data.root",
        whole: bool = False,
        left_out: dict[str, str] | None = None,
    ) -> list[Photo]:
        """The usable photos under ``root`` (given as ``option``), checked before any training
        starts; ``whole``: decoded at full size (else large JPEGs at a reduced scale);
        ``left_out`` gets the files left out and why."""
        hp = self.hparams
        paths = find_images(root, option)
        report = scan_images(paths, hp.image_size, root, hp.bad_files, hp.max_pixels)
        if left_out is not None:
            left_out.update({c.path.name: c.problem for c in report.by_outcome("skipped")})
        min_side = None if whole else DECODE_SIDE_PER_CROP_SIDE * hp.image_size
        return photos_from_paths(report.kept, min_side=min_side)

    def setup(self, stage: str | None = None) -> None:
        if self.train_set is not None:
            return
        hp = self.hparams
        train, val = self.photos()
        cache = self.uses_samples if hp.cache is None else hp.cache
        grid = (2 if self.uses_samples else 1) if hp.val_grid is None else hp.val_grid
        keep_side = None if self.uses_samples else DECODE_SIDE_PER_CROP_SIDE * hp.image_size
        self.train_set = RandomCropDataset(
            train,
            hp.image_size,
            hp.train_samples_per_epoch,
            tuple(hp.crop_scale),
            cache,
            keep_side=keep_side,
        )
        self.val_set = GridViewDataset(val, hp.image_size, grid, cache)
        self._setup_test_root()

    def _setup_test_root(self) -> None:
        """The test set from ``data.test_root``, where it is given."""
        hp = self.hparams
        if hp.test_root is not None and hp.test_whole:
            left_out: dict[str, str] = {}
            test = self._checked_photos(hp.test_root, "data.test_root", True, left_out)
            self.test_set = WholePhotos(test, cache=False, left_out=left_out)
        elif hp.test_root is not None:
            test = self._checked_photos(hp.test_root)
            self.test_set = GridViewDataset(test, hp.image_size, hp.val_grid or 1, cache=False)

    def whole_test_images(self) -> WholePhotos:
        """The test photos (``test_root``, else the validation photos), whole."""
        self.setup("test")
        if isinstance(self.test_set, WholePhotos):
            return self.test_set
        left_out: dict[str, str] = {}
        if self.hparams.test_root is not None:
            photos = self._checked_photos(self.hparams.test_root, "data.test_root", True, left_out)
        else:
            photos = self.test_set.photos if self.test_set is not None else self.val_set.photos
        return WholePhotos(photos, cache=False, left_out=left_out)

    def test_dataloader(self) -> DataLoader:
        if self.test_set is None:
            return self.val_dataloader()
        whole = isinstance(self.test_set, WholePhotos)
        batch = 1 if whole else self.hparams.val_batch_size or self.hparams.batch_size
        return self._loader(self.test_set, batch, shuffle=False)
