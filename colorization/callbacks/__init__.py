"""Lightning callbacks of this framework (the rest come from Lightning itself)."""

from colorization.callbacks.checkpoint import LastCheckpoint, SafeModelCheckpoint
from colorization.callbacks.encoder_freezing import EncoderFreezing
from colorization.callbacks.history import EpochHistory
from colorization.callbacks.preview import ImagePreviewLogger
from colorization.callbacks.progress import RichProgressBar

__all__ = [
    "EncoderFreezing",
    "EpochHistory",
    "ImagePreviewLogger",
    "LastCheckpoint",
    "RichProgressBar",
    "SafeModelCheckpoint",
]
