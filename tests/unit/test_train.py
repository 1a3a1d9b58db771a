"""colorization.train's report: what the launching process knows after a spawned DDP fit."""

from __future__ import annotations

import logging
import types

import torch

from colorization.train import best_score, report


def test_the_report_copes_with_a_best_path_without_its_score(caplog) -> None:
    """ddp_spawn / ddp_fork hand the best checkpoint's path back to the launching process, not
    its score."""
    checkpoint = types.SimpleNamespace(
        monitor="val/psnr", best_model_path="best.ckpt", best_model_score=None
    )
    trainer = types.SimpleNamespace(
        callback_metrics={"val/psnr": torch.tensor(21.5)}, checkpoint_callbacks=[checkpoint]
    )
    caplog.set_level(logging.INFO)
    report(trainer)
    assert "val/psnr=21.5000" in caplog.text and "Best checkpoint" not in caplog.text
    assert best_score(trainer, "val/psnr") == 21.5
