"""LightningModules: one per task, sharing :class:`ImageToImageTask`."""

from colorization.tasks.base import ImageToImageTask, PreparedBatch
from colorization.tasks.colorization import ColorizationTask
from colorization.tasks.flare import FlareTask
from colorization.tasks.segmentation import SegmentationTask
from colorization.tasks.superres import SuperResTask

__all__ = [
    "ColorizationTask",
    "FlareTask",
    "ImageToImageTask",
    "PreparedBatch",
    "SegmentationTask",
    "SuperResTask",
]
