"""colorization.losses.classification: Dice, BCE, BCE + Dice, CE, focal."""

from __future__ import annotations

import pytest
import torch
from helpers import task_settings
from torch import nn

from colorization.losses import BCEDiceLoss, BCELoss, CrossEntropyLoss, DiceLoss, FocalLoss
from colorization.tasks import SegmentationTask


def make_task(loss: nn.Module, num_classes: int = 2) -> SegmentationTask:
    from colorization.models import UNet

    channels = 1 if num_classes == 2 else num_classes
    net = UNet(in_channels=3, out_channels=channels, base_width=4, depth=2)
    return SegmentationTask(
        net, loss, torch.optim.Adam, **task_settings("segmentation", num_classes=num_classes)
    )


def sample_of(target: torch.Tensor):
    from colorization.tasks.base import PreparedBatch

    rgb = torch.rand(target.shape[0], 3, *target.shape[1:])
    return PreparedBatch(inputs=rgb * 2 - 1, target=target, extras={"rgb": rgb})


# --- losses and metrics ------------------------------------------------------------------
def test_dice_of_a_perfect_prediction_is_one_and_of_an_empty_one_follows_the_formula() -> None:
    target = torch.zeros(1, 8, 8, dtype=torch.long)
    target[0, :4, :4] = 1  # 16 foreground pixels
    perfect = torch.where(target.bool(), 20.0, -20.0).float().unsqueeze(1)
    empty = torch.full_like(perfect, -20.0)
    dice = DiceLoss(eps=1.0)
    assert dice(perfect, target).item() == pytest.approx(0.0, abs=1e-6)
    # soft Dice = (2 * 0 + eps) / (0 + 16 + eps) -> loss = 1 - 1/17
    assert dice(empty, target).item() == pytest.approx(1 - 1 / 17, abs=1e-4)
    both_empty = torch.zeros_like(target)
    assert dice(empty, both_empty).item() == pytest.approx(0.0, abs=1e-6)

    task = make_task(DiceLoss())
    metrics = task.metrics["val"]
    task.update_metrics(metrics, sample_of(target), perfect)
    assert metrics["dice"].compute().item() == pytest.approx(1.0)
    assert metrics["iou"].compute().item() == pytest.approx(1.0)
    for metric in metrics.values():
        metric.reset()
    task.update_metrics(metrics, sample_of(target), empty)
    assert metrics["dice"].compute().item() == pytest.approx(0.0)  # 2TP / (2TP + FP + FN)
    assert metrics["pixel_accuracy"].compute().item() == pytest.approx(48 / 64)


def test_losses_ignore_the_ignore_index() -> None:
    logits = torch.randn(2, 3, 8, 8)
    target = torch.randint(0, 3, (2, 8, 8))
    noisy = target.clone()
    noisy[:, :2] = 255
    changed = target.clone()
    changed[:, :2] = (target[:, :2] + 1) % 3
    for loss in (CrossEntropyLoss(255), DiceLoss(255), FocalLoss(255)):
        with_ignore = loss(logits, noisy)
        # the ignored rows do not count: changing their labels changes nothing
        noisy_changed = changed.clone()
        noisy_changed[:, :2] = 255
        assert torch.isfinite(with_ignore)
        assert loss(logits, noisy_changed).item() == pytest.approx(with_ignore.item())


def test_bce_dice_is_the_weighted_sum() -> None:
    logits, target = torch.randn(2, 1, 8, 8), torch.randint(0, 2, (2, 8, 8))
    combined = BCEDiceLoss(bce_weight=0.5, dice_weight=1.0)(logits, target)
    expected = 0.5 * BCELoss()(logits, target) + DiceLoss()(logits, target)
    assert combined.item() == pytest.approx(expected.item())


@pytest.mark.parametrize(
    ("loss", "num_classes", "message"),
    [
        (BCELoss(), 4, "loss=bce is for binary segmentation"),
        (BCEDiceLoss(), 4, "loss=bce_dice is for binary segmentation"),
        (CrossEntropyLoss(), 2, "loss=ce needs one output channel per class"),
        (nn.L1Loss(), 2, "L1Loss is a regression loss.*Use loss=bce, bce_dice, ce, dice or focal"),
    ],
)
def test_a_loss_that_does_not_fit_fails_at_start(loss, num_classes: int, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make_task(loss, num_classes)
