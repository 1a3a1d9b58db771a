"""Data: one sub-package per task (its DataModule, datasets and transforms), with what the tasks
share at this level: the DataModule base, image finding and decoding, file checks before
training, hold-out splits, the built-in sample photos and seeded random draws.

The DataModules are imported on first use (:mod:`colorization.lazy`)."""

from colorization.lazy import lazy_attributes

__all__ = ["ColorizationDataModule", "FlareDataModule", "SegmentationDataModule"]
__getattr__ = lazy_attributes(
    __name__,
    {
        "ColorizationDataModule": "colorization.data.colorization.datamodule",
        "FlareDataModule": "colorization.data.flare.datamodule",
        "SegmentationDataModule": "colorization.data.segmentation.datamodule",
    },
)
