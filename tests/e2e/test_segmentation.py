"""Segmentation end to end: built-in shapes, folders of pairs, every model."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from helpers import write_pair

from colorization.models.zoo import model_names
from colorization.train import train

SEGMENTATION = ("task=segmentation", "data.val_samples=8")


# --- folders of images and masks ------------------------------------------------------------


# --- training through the config -----------------------------------------------------------
@pytest.mark.parametrize(
    "overrides",
    [
        (),
        ("loss=bce_dice",),
        ("task.num_classes=4", "loss=ce"),
        ("task.num_classes=4", "loss=focal"),
    ],
)
def test_fast_dev_run(make_cfg, overrides: tuple[str, ...]) -> None:
    trainer, task = train(make_cfg(*SEGMENTATION, *overrides, "+trainer.fast_dev_run=1"))
    assert trainer.global_step == 1
    metrics = trainer.callback_metrics
    for name in ("val/dice", "val/iou", "val/pixel_accuracy", "val/dice_threshold"):
        assert 0 <= float(metrics[name]) <= 1, name
    if "task.num_classes=4" in overrides:
        assert {f"val/dice_class{i}" for i in range(4)} <= set(metrics)


def test_trains_on_a_folder_of_pairs(make_cfg, tmp_path: Path) -> None:
    data = tmp_path / "data"
    for index in range(6):
        write_pair(data, f"img{index}", size=(48, 40))
    folders = (f"data.images={data / 'images'}", f"data.masks={data / 'masks'}")
    trainer, _ = train(make_cfg(*SEGMENTATION, *folders, "data.mask_suffix=_mask"))
    assert trainer.current_epoch == 1 and "val/dice" in trainer.callback_metrics


@pytest.mark.parametrize("name", model_names())
def test_every_model_trains_a_step_on_segmentation(make_cfg, name: str) -> None:
    trainer, _ = train(make_cfg(*SEGMENTATION, f"model={name}", "+trainer.fast_dev_run=1"))
    assert trainer.global_step == 1
    assert torch.isfinite(trainer.callback_metrics["train/loss"])
