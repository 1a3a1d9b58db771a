"""Data: DataModules, image folder scanning, built-in sample photos, colour hints, masks."""

from colorization.data.colorization import ColorizationDataModule
from colorization.data.hints import GeometricPatchHints, HintSampler, RandomPixelHints
from colorization.data.segmentation import SegmentationDataModule

__all__ = [
    "ColorizationDataModule",
    "GeometricPatchHints",
    "HintSampler",
    "RandomPixelHints",
    "SegmentationDataModule",
]
