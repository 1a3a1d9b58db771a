"""Losses beyond torch's own (``torch.nn.L1Loss``/``MSELoss`` serve regression tasks).

A loss's ``kind`` says what targets it expects (``regression`` for a plain tensor loss); a task
accepts the kinds it lists, and :func:`loss_options` names the ``loss=`` options that fit."""

from collections.abc import Iterable

from hydra.utils import get_class
from omegaconf import OmegaConf

from colorization import config_dir
from colorization.losses.ab_classification import ABClassificationLoss
from colorization.losses.classification import (
    BCEDiceLoss,
    BCELoss,
    ClassificationLoss,
    CrossEntropyLoss,
    DiceLoss,
    FocalLoss,
)
from colorization.losses.restoration import CharbonnierLoss, L1SSIMLoss, PSNRLoss, SSIMLoss

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
    "ClassificationLoss",
]


def loss_kind(loss: object) -> str:
    """What targets ``loss`` (an instance or a class) expects."""
    return str(getattr(loss, "kind", "regression"))


def loss_options(kinds: Iterable[str]) -> list[str]:
    """The ``loss=`` options (``conf/loss/*.yaml``) whose loss is of one of ``kinds``."""
    kinds = set(kinds)
    options = []
    for path in sorted((config_dir() / "loss").glob("*.yaml")):
        target = OmegaConf.load(path).get("_target_")
        if target is not None and loss_kind(get_class(str(target))) in kinds:
            options.append(path.stem)
    return options
