"""Data: one sub-package per task (its DataModule, datasets and transforms), with what the tasks
share at this level: the DataModule base, image finding and decoding, file checks before
training, hold-out splits, the built-in sample photos and seeded random draws."""

from colorization.data.colorization import ColorizationDataModule
from colorization.data.flare import FlareDataModule
from colorization.data.segmentation import SegmentationDataModule

__all__ = ["ColorizationDataModule", "FlareDataModule", "SegmentationDataModule"]
