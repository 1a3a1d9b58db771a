"""Hint-based colorization data: photo crops (this package's DataModule), and the batch
transforms the colorization task applies on the device: CIE Lab conversion and hint sampling.

Attributes are imported on first use (:mod:`colorization.lazy`)."""

from colorization.lazy import lazy_attributes

__all__ = ["ColorizationDataModule", "GeometricPatchHints", "HintSampler", "RandomPixelHints"]
__getattr__ = lazy_attributes(
    __name__,
    {
        "ColorizationDataModule": "colorization.data.colorization.datamodule",
        **dict.fromkeys(
            ("GeometricPatchHints", "HintSampler", "RandomPixelHints"),
            "colorization.data.colorization.hints",
        ),
    },
)
