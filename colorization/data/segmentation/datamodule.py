"""LightningDataModule for segmentation: image/mask folders, or built-in synthetic shapes."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from colorization.data.base import ImageDataModule, both_or_neither, checked_crop_scale
from colorization.data.sample_photos import sample_split
from colorization.data.segmentation.masks import (
    MaskPairDataset,
    SegmentationPairs,
    check_pairs,
    eval_transform,
    pair_images_and_masks,
    split_pairs,
    train_transform,
)
from colorization.data.segmentation.shapes import SyntheticShapesDataset


class SegmentationDataModule(ImageDataModule):
    """Batches ``{"image": uint8 (B, 3, S, S), "mask": int64 (B, S, S), "index": (B,)}``.

    Args:
        images / masks: folders of images and of their masks (matching stems plus
            ``mask_suffix``). ``None`` = synthetic shapes on the built-in sample photos
            (:mod:`colorization.data.segmentation.shapes`).
        val_images / val_masks: optional separate validation folders; otherwise
            ``val_fraction`` of the pairs are held out, reproducibly by ``split_seed``.
        num_classes: 2 = binary (masks 0/1 or 0/255), more = index masks.
        ignore_index: mask value that counts nowhere (e.g. 255 borders), or ``None``.
        crop_scale / rotation / vflip: training augmentation (random resized crop area range,
            rotation in degrees, vertical flips; horizontal flips always), image and mask alike.
        val_samples: fixed validation scenes of the synthetic data.
        max_shapes: shapes per synthetic scene (1..max_shapes).
        test_root: a test set of its own (``evaluate``): ``<test_root>/images`` and
            ``<test_root>/masks``, paired as ``images``/``masks``; ``None``: the validation set.
        ``common``: image size, batch sizes, workers, hold-out split, samples per epoch,
            cache, pinned memory; see :class:`~colorization.data.base.ImageDataModule`.
    """

    def __init__(
        self,
        images: str | None = None,
        masks: str | None = None,
        val_images: str | None = None,
        val_masks: str | None = None,
        mask_suffix: str = "",
        num_classes: int = 2,
        ignore_index: int | None = None,
        crop_scale: Sequence[float] = (0.25, 1.0),
        rotation: float = 15.0,
        vflip: bool = True,
        val_samples: int = 64,
        max_shapes: int = 3,
        test_root: str | None = None,
        **common: Any,
    ) -> None:
        both_or_neither(
            "images",
            images,
            "masks",
            masks,
            " for the built-in synthetic shapes (folders of images and of their masks)",
        )
        both_or_neither("val_images", val_images, "val_masks", val_masks, "")
        crop_scale = checked_crop_scale(crop_scale)
        super().__init__(**common)

    @property
    def synthetic(self) -> bool:
        return self.hparams.images is None

    def setup(self, stage: str | None = None) -> None:
        if self.train_set is not None:
            return
        hp = self.hparams
        augment = train_transform(
            hp.image_size, tuple(hp.crop_scale), hp.rotation, hp.vflip, hp.ignore_index
        )
        if self.synthetic:
            train_photos, val_photos = (
                [photo.load() for photo in split] for split in sample_split()
            )
            size = hp.image_size
            train = SyntheticShapesDataset(
                train_photos, size, hp.train_samples_per_epoch, hp.num_classes, None, hp.max_shapes
            )
            val = SyntheticShapesDataset(
                val_photos, size, hp.val_samples, hp.num_classes, hp.split_seed, hp.max_shapes
            )
            self.train_set = SegmentationPairs(train, augment)
            self.val_set = SegmentationPairs(val, None)
            self.setup_test_set()
            return
        pairs = pair_images_and_masks(hp.images, hp.masks, hp.mask_suffix)
        if hp.val_images is not None:
            train_pairs = pairs
            val_pairs = pair_images_and_masks(hp.val_images, hp.val_masks, hp.mask_suffix)
        else:
            train_pairs, val_pairs = split_pairs(pairs, hp.val_fraction, hp.split_seed)
        check_pairs([*train_pairs, *val_pairs], hp.num_classes, hp.ignore_index, hp.max_pixels)
        cache = bool(hp.cache)
        self.train_set = SegmentationPairs(
            MaskPairDataset(train_pairs, hp.num_classes, hp.ignore_index, cache), augment
        )
        self.val_set = SegmentationPairs(
            MaskPairDataset(val_pairs, hp.num_classes, hp.ignore_index, cache),
            eval_transform(hp.image_size),
        )
        self.setup_test_set()

    def setup_test_set(self) -> None:
        """``test_root``'s image/mask pairs, checked as training's are (else no test set)."""
        hp = self.hparams
        if hp.test_root is None or self.test_set is not None:
            return
        root = Path(hp.test_root).expanduser()
        for part in ("images", "masks"):
            if not (root / part).is_dir():
                raise FileNotFoundError(
                    f"{root / part} does not exist: data.test_root must hold images/ and "
                    f"masks/ (masks named <image stem>{hp.mask_suffix}.png)."
                )
        pairs = pair_images_and_masks(root / "images", root / "masks", hp.mask_suffix)
        check_pairs(pairs, hp.num_classes, hp.ignore_index, hp.max_pixels)
        self.test_set = SegmentationPairs(
            MaskPairDataset(pairs, hp.num_classes, hp.ignore_index, bool(hp.cache)),
            eval_transform(hp.image_size),
        )
