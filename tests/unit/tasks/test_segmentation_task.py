"""SegmentationTask: the threshold baseline and the preview overlays."""

from __future__ import annotations

import torch
from torch import nn

from colorization.losses import DiceLoss
from colorization.tasks import SegmentationTask
from colorization.tasks.segmentation.task import otsu_foreground


def make_task(loss: nn.Module, num_classes: int = 2) -> SegmentationTask:
    from colorization.models import UNet

    channels = 1 if num_classes == 2 else num_classes
    net = UNet(in_channels=3, out_channels=channels, base_width=4, depth=2)
    return SegmentationTask(net, loss, torch.optim.Adam, num_classes=num_classes)


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
