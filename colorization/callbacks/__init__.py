"""Lightning callbacks of this framework (the rest come from Lightning itself)."""

from colorization.callbacks.preview import ImagePreviewLogger

__all__ = ["ImagePreviewLogger"]
