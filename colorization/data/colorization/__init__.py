"""Hint-based colorization data: photo crops (this package's DataModule), and the batch
transforms the colorization task applies on the device: CIE Lab conversion and hint sampling."""

from colorization.data.colorization.datamodule import ColorizationDataModule
from colorization.data.colorization.hints import GeometricPatchHints, HintSampler, RandomPixelHints

__all__ = ["ColorizationDataModule", "GeometricPatchHints", "HintSampler", "RandomPixelHints"]
