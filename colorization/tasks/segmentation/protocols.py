"""``evaluate --protocol dataset-iou``: IoU and Dice over the whole test set, as the
segmentation benchmarks report them, beside the mean over images.

The two differ (a small object missed costs its image's IoU much, the set's little) and papers
state which they report: PASCAL VOC and Cityscapes sum one confusion matrix over the set
(``miou``); many medical papers average per-image scores (``miou_per_image``).
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator
from typing import Any

import torch
from omegaconf import DictConfig, OmegaConf
from torch.utils.data import Dataset

from colorization.tasks.published import PublishedProtocol, RunTestImages, nan_mean, prediction
from colorization.tasks.settings import Setting


def confusion_matrix(
    labels: torch.Tensor, target: torch.Tensor, classes: int, ignore: int | None
) -> torch.Tensor:
    """(classes, classes) pixel counts, rows the true class, columns the predicted one; pixels
    marked ``ignore`` in the target count nowhere."""
    counted = torch.ones_like(target, dtype=torch.bool) if ignore is None else target != ignore
    pairs = target[counted].long() * classes + labels[counted].long()
    return torch.bincount(pairs, minlength=classes * classes).reshape(classes, classes).cpu()


def class_scores(confusion: torch.Tensor) -> tuple[list[float], list[float]]:
    """Per class (IoU, Dice) from a confusion matrix; NaN for a class neither true nor
    predicted anywhere (it has no score, and means leave it out)."""
    confusion = confusion.double()
    hits = confusion.diag()
    true, predicted = confusion.sum(dim=1), confusion.sum(dim=0)
    union = true + predicted - hits
    iou = torch.where(union > 0, hits / union.clamp(min=1), math.nan)
    dice = torch.where(union > 0, 2 * hits / (true + predicted).clamp(min=1), math.nan)
    return iou.tolist(), dice.tolist()


class DatasetIoU(PublishedProtocol):
    name = "dataset-iou"
    task = "segmentation"
    summary = (
        "one confusion matrix summed over the test set: IoU and Dice per class (background "
        "included) and their mean over classes (miou, mdice), beside the mean over images of "
        "each image's (miou_per_image, mdice_per_image) and the pixel accuracy; pixels marked "
        "task.ignore_index (255 in VOC-style masks) count nowhere"
    )
    papers = "PASCAL VOC, Cityscapes (dataset-level mIoU); ISIC, DSB2018 papers (per image)"
    anchors = "DSB2018 96 px IoU: U-Net 0.839, UNet++ 0.842 (Zhou et al. 2018)"

    def __init__(self) -> None:
        self._confusions: list[torch.Tensor] = []
        self._class_names: list[str] | None = None

    @contextlib.contextmanager
    def applied(self, task: Any, setting: Setting) -> Iterator[None]:
        """The task's class names, and a new confusion matrix per image."""
        self._confusions, self._class_names = [], task.hparams.get("class_names")
        yield

    def test_set(self, config: DictConfig, run_test_images: RunTestImages) -> Dataset:
        return run_test_images()

    def score(
        self, task: Any, batch: dict[str, Any], setting: Setting
    ) -> tuple[torch.Tensor, dict[str, float]]:
        prepared, pred = prediction(task, batch)
        classes, ignore = task.hparams.num_classes, task.hparams.ignore_index
        labels = task.predict_labels(pred.float())
        confusion = confusion_matrix(labels, prepared.target, classes, ignore)
        self._confusions.append(confusion)
        iou, dice = class_scores(confusion)
        return prepared.target, {"miou_per_image": nan_mean(iou), "mdice_per_image": nan_mean(dice)}

    def summarise(self, setting: Setting, images: list[dict[str, Any]]) -> dict[str, float]:
        means = super().summarise(setting, images)
        total = torch.stack(self._confusions).sum(dim=0)
        iou, dice = class_scores(total)
        names = self._class_names or [f"class{i}" for i in range(len(iou))]
        summary = {"miou": nan_mean(iou), "mdice": nan_mean(dice), **means}
        summary["pixel_accuracy"] = float(total.diag().sum() / total.sum().clamp(min=1))
        for name, class_iou, class_dice in zip(names, iou, dice, strict=True):
            summary[f"iou_{name}"], summary[f"dice_{name}"] = class_iou, class_dice
        return summary

    def note(self, config: DictConfig) -> str:
        ignore = OmegaConf.select(config, "task.ignore_index", default=None)
        return f"{self.summary}; ignore index: {ignore}"


PROTOCOLS = (DatasetIoU(),)
