"""Segmentation data: image/mask folders with their checks, or synthetic shapes on the photos.

The DataModule is imported on first use (:mod:`colorization.lazy`)."""

from colorization.lazy import lazy_attributes

__all__ = ["SegmentationDataModule"]
__getattr__ = lazy_attributes(
    __name__, {"SegmentationDataModule": "colorization.data.segmentation.datamodule"}
)
