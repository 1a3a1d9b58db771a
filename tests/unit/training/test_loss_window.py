"""colorization.training.loss_window: the logged training loss, one log call per window."""

from __future__ import annotations

import pytest
import pytorch_lightning as pl
import torch

from colorization.lightning_compat import logs_this_step
from colorization.training.loss_window import LossWindow
from tests.unit.training.test_optimization import fit_on_photos, make_task


def test_a_window_gives_the_sample_weighted_mean_and_starts_afresh() -> None:
    window = LossWindow()
    window.add(torch.tensor(1.0), 2)
    window.add(torch.tensor(4.0), 1)
    mean, samples = window.take()
    assert samples == 3 and mean.item() == pytest.approx(2.0)
    window.add(torch.tensor(5.0), 4)
    assert window.take()[0].item() == pytest.approx(5.0)
    with pytest.raises(RuntimeError, match="No loss"):
        window.take()


class StepLosses(pl.Callback):
    """The loss of every training step, read here (a test may wait for the host)."""

    def __init__(self) -> None:
        self.losses: list[tuple[float, int]] = []
        self.shown: list[float] = []  # the logged step value, at each logging step

    def on_train_batch_end(self, trainer, module, outputs, batch, batch_idx) -> None:
        self.losses.append((float(outputs["loss"]), len(batch["image"])))
        if logs_this_step(trainer):
            self.shown.append(float(trainer.callback_metrics["train/loss_step"]))


@pytest.mark.parametrize("max_steps", [-1, 4])
def test_the_epoch_loss_is_the_mean_over_every_step(max_steps: int) -> None:
    """Logged once per logging step, the epoch's loss still counts every step, the last
    batch (a short one) and a run stopped by ``max_steps`` between logging steps included."""
    steps = StepLosses()
    trainer = fit_on_photos(make_task(), 11, steps, max_steps=max_steps, log_every_n_steps=3)
    expected = sum(loss * n for loss, n in steps.losses) / sum(n for _, n in steps.losses)
    assert len(steps.losses) == (6 if max_steps < 0 else 4)
    assert trainer.callback_metrics["train/loss"].item() == pytest.approx(expected, rel=1e-5)
    window = steps.losses[:3]  # the first logging step shows the mean since the start
    assert steps.shown[0] == pytest.approx(sum(loss for loss, _ in window) / 3, rel=1e-5)
