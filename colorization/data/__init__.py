"""Data: DataModules, image folder scanning, built-in sample photos, hints, masks, flare."""

from colorization.data.colorization import ColorizationDataModule
from colorization.data.flare import FlareDataModule
from colorization.data.hints import GeometricPatchHints, HintSampler, RandomPixelHints
from colorization.data.segmentation import SegmentationDataModule

__all__ = [
    "ColorizationDataModule",
    "FlareDataModule",
    "GeometricPatchHints",
    "HintSampler",
    "RandomPixelHints",
    "SegmentationDataModule",
]
