"""Data: DataModules, image folder scanning, built-in sample photos, colour hints."""

from colorization.data.colorization import ColorizationDataModule
from colorization.data.hints import GeometricPatchHints, HintSampler, RandomPixelHints

__all__ = [
    "ColorizationDataModule",
    "GeometricPatchHints",
    "HintSampler",
    "RandomPixelHints",
]
