"""Segmentation: RGB image (3 channels) -> class logits; scored by Dice, IoU, pixel accuracy.

Binary tasks (``num_classes=2``) predict one logit per pixel (foreground probability by
sigmoid); multiclass tasks one logit per class (softmax). Metrics are torchmetrics', accumulated
over the whole validation set (Dice = F1 over pixels; multiclass: macro over classes, plus one
value per class as ``val/dice_<class name>``).

``dice_threshold`` scores a no-learning baseline: an Otsu intensity threshold per image, with
whichever polarity (brighter or darker = foreground) fits that image better, i.e. an optimistic
baseline. ``dice_foreground`` (multiclass) is the model's foreground-vs-background Dice, the
number to hold against it.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from skimage.filters import threshold_otsu
from torch import nn
from torchmetrics import ClasswiseWrapper, Metric
from torchmetrics.classification import (
    BinaryAccuracy,
    BinaryF1Score,
    BinaryJaccardIndex,
    MulticlassAccuracy,
    MulticlassF1Score,
    MulticlassJaccardIndex,
)
from torchmetrics.functional.segmentation import dice_score, mean_iou

from colorization.tasks.base import (
    ImageToImageTask,
    PreparedBatch,
)
from colorization.tasks.segmentation.inference import class_overlay, labels_from_logits


def output_channels(num_classes: int) -> int:
    """One logit for a binary task, one per class otherwise."""
    return 1 if num_classes == 2 else num_classes


def otsu_foreground(rgb: torch.Tensor, target_foreground: torch.Tensor) -> torch.Tensor:
    """(B, H, W) long: per image, grey > Otsu threshold or grey <= it, whichever agrees more
    with the true foreground (an optimistic intensity-threshold baseline)."""
    grey = (0.299 * rgb[:, 0] + 0.587 * rgb[:, 1] + 0.114 * rgb[:, 2]).float().cpu().numpy()
    truth = target_foreground.cpu().numpy() == 1
    predictions = []
    for image, true in zip(grey, truth, strict=True):
        bright = image > threshold_otsu(image) if np.ptp(image) > 0 else np.zeros_like(true)
        agree_bright, agree_dark = (bright == true).mean(), (~bright == true).mean()
        predictions.append(bright if agree_bright >= agree_dark else ~bright)
    return torch.from_numpy(np.stack(predictions)).long().to(rgb.device)


class SegmentationTask(ImageToImageTask):
    """Args:
    num_classes: 2 for binary (one output channel), else one output channel per class.
    ignore_index: mask value that counts in no loss and no metric (``None``: none).
    class_names: names for per-class metrics (default ``class0``, ``class1``, ...).
    ``args`` and ``base`` (network, loss, optimizer, ...): see :class:`ImageToImageTask`.
    """

    loss_kinds = ("classification",)
    preview_titles = ("image", "truth", "prediction")
    rgb_input_range = (-1.0, 1.0)

    def __init__(
        self,
        *args: Any,
        num_classes: int,
        ignore_index: int | None,
        class_names: list[str] | None,
        out_channels: int | None = None,
        **base: Any,
    ) -> None:
        if num_classes < 2:
            raise ValueError(f"task.num_classes must be >= 2 (2 = binary), got {num_classes}.")
        if class_names is not None and len(class_names) != num_classes:
            raise ValueError(
                f"task.class_names has {len(class_names)} names for {num_classes} classes."
            )
        # Plain types only (not Hydra's ListConfig): checkpoints load with weights_only=True.
        class_names = [str(name) for name in class_names] if class_names is not None else None
        expected = output_channels(num_classes)
        if out_channels is not None and out_channels != expected:
            raise ValueError(
                f"task.out_channels={out_channels} does not fit num_classes={num_classes} "
                f"(needs {expected}); leave task.out_channels to its default."
            )
        super().__init__(*args, out_channels=expected, **base)
        self.loss.check_task(expected)

    @property
    def binary(self) -> bool:
        return self.hparams.num_classes == 2

    @property
    def epoch_end_metrics(self) -> tuple[str, ...]:  # type: ignore[override]
        return () if self.binary else ("dice_per_class",)

    def make_metrics(self) -> dict[str, Metric]:
        ignore = self.hparams.ignore_index
        baseline = {"dice_threshold": BinaryF1Score(ignore_index=ignore)}
        if self.binary:
            return {
                "dice": BinaryF1Score(ignore_index=ignore),
                "iou": BinaryJaccardIndex(ignore_index=ignore),
                "pixel_accuracy": BinaryAccuracy(ignore_index=ignore),
                **baseline,
            }
        n = self.hparams.num_classes
        names = self.hparams.class_names or [f"class{i}" for i in range(n)]
        return {
            "dice": MulticlassF1Score(n, average="macro", ignore_index=ignore),
            "iou": MulticlassJaccardIndex(n, average="macro", ignore_index=ignore),
            "pixel_accuracy": MulticlassAccuracy(n, average="micro", ignore_index=ignore),
            "dice_foreground": BinaryF1Score(ignore_index=ignore),
            "dice_per_class": ClasswiseWrapper(
                MulticlassF1Score(n, average=None, ignore_index=ignore),
                labels=list(names),
                prefix="dice_",
            ),
            **baseline,
        }

    def prepare_batch(self, batch: dict[str, torch.Tensor], stage: str) -> PreparedBatch:
        rgb = batch["image"].float() / 255.0
        return PreparedBatch(inputs=rgb * 2 - 1, target=batch["mask"].long(), extras={"rgb": rgb})

    def predict_labels(self, pred: torch.Tensor) -> torch.Tensor:
        """(B, H, W) class indices from logits."""
        return labels_from_logits(pred)

    def foreground(self, labels: torch.Tensor) -> torch.Tensor:
        """Class > 0 as 1, keeping ignored pixels marked."""
        ignore = self.hparams.ignore_index
        foreground = (labels > 0).long()
        return foreground if ignore is None else torch.where(labels == ignore, ignore, foreground)

    def update_metrics(
        self, metrics: nn.ModuleDict, prepared: PreparedBatch, pred: torch.Tensor
    ) -> None:
        target = prepared.target
        labels = self.predict_labels(pred.float())
        for name in ("dice", "iou", "pixel_accuracy"):
            metrics[name].update(labels, target)
        true_foreground = self.foreground(target)
        if not self.binary:
            metrics["dice_per_class"].update(labels, target)
            metrics["dice_foreground"].update((labels > 0).long(), true_foreground)
        metrics["dice_threshold"].update(
            otsu_foreground(prepared.extras["rgb"], true_foreground), true_foreground
        )

    def image_scores(self, prepared: PreparedBatch, pred: torch.Tensor) -> dict[str, torch.Tensor]:
        """Dice and IoU of each image (torchmetrics' segmentation functions): the foreground's
        for a binary task, the mean over the classes present in prediction or truth otherwise,
        as the logged ``dice`` and ``iou``; ignored pixels count nowhere. NaN for a binary image
        with no foreground in prediction nor truth (nothing to score)."""
        n = self.hparams.num_classes
        target = prepared.target
        ignore = self.hparams.ignore_index
        counted = torch.ones_like(target, dtype=torch.bool) if ignore is None else target != ignore

        def one_hot(labels: torch.Tensor) -> torch.Tensor:  # ignored pixels: no class at all
            labels = torch.where(counted, labels, 0).clamp(0, n - 1)
            return nn.functional.one_hot(labels, n).permute(0, 3, 1, 2) * counted[:, None]

        predicted, truth = one_hot(self.predict_labels(pred.float())), one_hot(target)
        options = {
            "num_classes": n,
            "include_background": not self.binary,
            "input_format": "one-hot",
        }
        return {
            "dice": dice_score(predicted, truth, average="macro", **options),
            "iou": mean_iou(predicted, truth, **options),
        }

    def overlay(self, rgb: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """Class colours over the image, half transparent."""
        return class_overlay(rgb, labels, self.hparams.num_classes, self.hparams.ignore_index)

    def preview_panels(self, prepared: PreparedBatch, pred: torch.Tensor) -> list[torch.Tensor]:
        """input | ground-truth overlay | predicted overlay."""
        rgb = prepared.extras["rgb"]
        predicted = self.predict_labels(pred.float())
        return [rgb, self.overlay(rgb, prepared.target), self.overlay(rgb, predicted)]
