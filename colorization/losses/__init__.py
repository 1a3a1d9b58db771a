"""Losses beyond torch's own (``torch.nn.L1Loss``/``MSELoss`` serve regression tasks)."""

from colorization.losses.ab_classification import ABClassificationLoss
from colorization.losses.restoration import CharbonnierLoss, L1SSIMLoss, PSNRLoss, SSIMLoss
from colorization.losses.segmentation import (
    BCEDiceLoss,
    BCELoss,
    CrossEntropyLoss,
    DiceLoss,
    FocalLoss,
    SegmentationLoss,
)

__all__ = [
    "ABClassificationLoss",
    "BCEDiceLoss",
    "BCELoss",
    "CharbonnierLoss",
    "CrossEntropyLoss",
    "DiceLoss",
    "FocalLoss",
    "L1SSIMLoss",
    "PSNRLoss",
    "SSIMLoss",
    "SegmentationLoss",
]
