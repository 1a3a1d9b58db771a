"""The progress bar, reading the training loss on the host only at logging steps."""

from __future__ import annotations

from typing import Any

import pytorch_lightning as pl

from colorization.lightning_compat import logs_this_step


class RichProgressBar(pl.callbacks.RichProgressBar):
    """Lightning's rich progress bar, showing the training loss as of the last logging step.

    Lightning's bars show what was logged with ``prog_bar=True`` and read it on the host after
    every step; on a GPU the host then waits for each step to finish before it can queue the
    next. This bar reads the loss at Lightning's logging steps only (``trainer.log_every_n_steps``),
    where the loggers read it anyway.
    """

    shown_metric = "train/loss_step"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._loss: float | None = None

    def on_train_batch_end(
        self,
        trainer: pl.Trainer,
        pl_module: pl.LightningModule,
        outputs: Any,
        batch: Any,
        batch_idx: int,
    ) -> None:
        if logs_this_step(trainer):
            value = trainer.callback_metrics.get(self.shown_metric)
            if value is not None:
                self._loss = float(value)
        super().on_train_batch_end(trainer, pl_module, outputs, batch, batch_idx)

    def get_metrics(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> dict[str, Any]:
        items = super().get_metrics(trainer, pl_module)
        if self._loss is not None:
            items["loss"] = round(self._loss, 4)
        return items
