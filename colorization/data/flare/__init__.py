"""Flare-removal data: paired folders with their checks, or procedural flare on the photos.

The DataModule is imported on first use (:mod:`colorization.lazy`)."""

from colorization.lazy import lazy_attributes

__all__ = ["FlareDataModule"]
__getattr__ = lazy_attributes(__name__, {"FlareDataModule": "colorization.data.flare.datamodule"})
