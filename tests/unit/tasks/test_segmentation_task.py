"""SegmentationTask: the threshold baseline and the preview overlays."""

from __future__ import annotations

import pytest
import torch
from helpers import task_settings
from torch import nn

from colorization.losses import DiceLoss
from colorization.tasks import SegmentationTask
from colorization.tasks.segmentation.task import otsu_foreground


def make_task(loss: nn.Module, num_classes: int = 2) -> SegmentationTask:
    from colorization.models import UNet

    channels = 1 if num_classes == 2 else num_classes
    net = UNet(in_channels=3, out_channels=channels, base_width=4, depth=2)
    return SegmentationTask(
        net, loss, torch.optim.Adam, **task_settings("segmentation", num_classes=num_classes)
    )


def test_threshold_baseline_finds_a_bright_square() -> None:
    rgb = torch.full((1, 3, 16, 16), 0.2)
    rgb[:, :, 4:12, 4:12] = 0.9
    truth = torch.zeros(1, 16, 16, dtype=torch.long)
    truth[:, 4:12, 4:12] = 1
    assert torch.equal(otsu_foreground(rgb, truth), truth)
    assert torch.equal(otsu_foreground(rgb, 1 - truth), 1 - truth)  # dark polarity chosen


def test_preview_overlays_three_panels() -> None:
    task = make_task(DiceLoss(), num_classes=4)
    batch = {
        "image": torch.randint(0, 255, (2, 3, 16, 16), dtype=torch.uint8),
        "mask": torch.randint(0, 4, (2, 16, 16)),
        "index": torch.arange(2),
    }
    panels = task.preview(batch)
    assert len(panels) == 3 and all(p.shape == (2, 3, 16, 16) for p in panels)
    assert not torch.equal(panels[0], panels[1])  # the ground-truth overlay tints the image


def logits_for(labels: torch.Tensor, num_classes: int) -> torch.Tensor:
    """Network outputs that decode to ``labels``."""
    if num_classes == 2:
        return (labels.float() * 2 - 1)[:, None] * 10
    return nn.functional.one_hot(labels, num_classes).permute(0, 3, 1, 2).float() * 10


def test_each_image_gets_its_dice_and_iou() -> None:
    from colorization.tasks.base import PreparedBatch

    task = make_task(DiceLoss())
    truth = torch.zeros(3, 8, 8, dtype=torch.long)
    truth[0, :4] = 1  # half the image
    truth[1, :2] = 1
    predicted = truth.clone()
    predicted[1, :4] = 1  # twice the truth: Dice 2/3, IoU 1/2
    prepared = PreparedBatch(inputs=torch.zeros(3, 3, 8, 8), target=truth)
    scores = task.image_scores(prepared, logits_for(predicted, 2))
    assert scores["dice"][:2].tolist() == [1.0, pytest.approx(2 / 3)]
    assert scores["iou"][:2].tolist() == [1.0, pytest.approx(0.5)]
    assert torch.isnan(scores["dice"][2])  # nothing to find and nothing found: no score


def test_ignored_pixels_count_in_no_image_score() -> None:
    from colorization.models import UNet
    from colorization.tasks.base import PreparedBatch

    task = SegmentationTask(
        UNet(in_channels=3, out_channels=3, base_width=4, depth=2),
        DiceLoss(ignore_index=255),
        torch.optim.Adam,
        **task_settings("segmentation", num_classes=3, ignore_index=255),
    )
    truth = torch.zeros(1, 8, 8, dtype=torch.long)
    truth[:, :4] = 1
    truth[:, 6:] = 255  # a border the prediction gets wrong does not matter
    predicted = torch.where(truth == 255, 2, truth)
    prepared = PreparedBatch(inputs=torch.zeros(1, 3, 8, 8), target=truth)
    scores = task.image_scores(prepared, logits_for(predicted, 3))
    assert scores["dice"].tolist() == [1.0] and scores["iou"].tolist() == [1.0]
