"""Losses beyond torch's own (``torch.nn.L1Loss``/``MSELoss`` serve regression tasks)."""

from colorization.losses.segmentation import (
    BCEDiceLoss,
    BCELoss,
    CrossEntropyLoss,
    DiceLoss,
    FocalLoss,
    SegmentationLoss,
)

__all__ = [
    "BCEDiceLoss",
    "BCELoss",
    "CrossEntropyLoss",
    "DiceLoss",
    "FocalLoss",
    "SegmentationLoss",
]
