"""Segmentation data: image/mask folders with their checks, or synthetic shapes on the photos."""

from colorization.data.segmentation.datamodule import SegmentationDataModule

__all__ = ["SegmentationDataModule"]
