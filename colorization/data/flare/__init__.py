"""Flare-removal data: paired folders with their checks, or procedural flare on the photos."""

from colorization.data.flare.datamodule import FlareDataModule

__all__ = ["FlareDataModule"]
