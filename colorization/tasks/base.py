"""The image-to-image LightningModule every task builds on.

It owns what all tasks share: the injected network, loss, optimizer/scheduler wiring (Hydra
``_partial_`` configs), the train/val/test loops, metric logging and preview panels. A task
subclass says only how a raw batch becomes network inputs and targets, which metrics it keeps
and what its preview grid shows.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pytorch_lightning as pl
import torch
from torch import nn
from torchmetrics import Metric

OptimizerFactory = Callable[..., torch.optim.Optimizer]
SchedulerFactory = Callable[..., Any]


@dataclass
class Sample:
    """A batch made ready for the network: ``inputs`` -> net -> compare with ``target``."""

    inputs: torch.Tensor
    target: torch.Tensor
    extras: dict[str, torch.Tensor] = field(default_factory=dict)


class ImageToImageTask(pl.LightningModule, ABC):
    """Shared training logic. ``net`` is injected (built from ``conf/model``).

    Args:
        net: the network, mapping ``in_channels`` to ``out_channels``.
        loss: a module ``loss(pred, target) -> scalar``.
        optimizer: a partial optimizer (``_partial_: true`` config), called with the parameters.
        scheduler: a partial LR scheduler called with the optimizer, or ``None``.
        monitor / monitor_mode: the metric that checkpoints and plateau schedulers follow.
        in_channels / out_channels: what this task feeds and expects; checked against the net.
    """

    def __init__(
        self,
        net: nn.Module,
        loss: nn.Module,
        optimizer: OptimizerFactory,
        scheduler: SchedulerFactory | None = None,
        monitor: str = "val/loss",
        monitor_mode: str = "min",
        in_channels: int | None = None,
        out_channels: int | None = None,
    ) -> None:
        super().__init__()
        # Only plain values go into checkpoints (modules and factories are rebuilt from the
        # config), so checkpoints load with torch's safe ``weights_only`` unpickler.
        self.save_hyperparameters(
            logger=False, ignore=["net", "loss", "optimizer", "scheduler", "hints"]
        )
        self.optimizer_factory = optimizer
        self.scheduler_factory = scheduler
        for attribute, expected in (("in_channels", in_channels), ("out_channels", out_channels)):
            actual = getattr(net, attribute, None)
            if expected is not None and actual is not None and actual != expected:
                raise ValueError(
                    f"model.{attribute}={actual} but task {type(self).__name__} needs "
                    f"{expected}. Remove the override of model.{attribute} or set it to {expected}."
                )
        self.net = net
        self.loss = loss
        self.metrics = nn.ModuleDict(
            {stage: nn.ModuleDict(self.make_metrics()) for stage in ("val", "test")}
        )

    # --- what a task defines -------------------------------------------------------------
    @abstractmethod
    def prepare_batch(self, batch: dict[str, torch.Tensor], stage: str) -> Sample:
        """Turn a raw loader batch (already on the device) into network inputs and targets."""

    @abstractmethod
    def make_metrics(self) -> dict[str, Metric]:
        """Fresh metric objects for one evaluation stage, keyed by the name they log under."""

    @abstractmethod
    def update_metrics(self, metrics: nn.ModuleDict, sample: Sample, pred: torch.Tensor) -> None:
        """Update ``metrics`` (from :meth:`make_metrics`) with one batch."""

    @abstractmethod
    def preview_panels(self, sample: Sample, pred: torch.Tensor) -> list[torch.Tensor]:
        """Images to show side by side, each (B, 3, H, W) RGB in [0, 1]."""

    # --- shared loop ---------------------------------------------------------------------
    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        return self.net(inputs)

    def compute_loss(
        self, pred: torch.Tensor | Sequence[torch.Tensor], target: torch.Tensor
    ) -> torch.Tensor:
        """The loss; a deeply supervised net returns one output per head: their losses averaged."""
        if isinstance(pred, torch.Tensor):
            return self.loss(pred, target)
        return torch.stack([self.loss(head, target) for head in pred]).mean()

    def training_step(self, batch: dict[str, torch.Tensor], batch_idx: int) -> torch.Tensor:
        sample = self.prepare_batch(batch, "train")
        loss = self.compute_loss(self(sample.inputs), sample.target)
        self.log("train/loss", loss, on_step=True, on_epoch=True, prog_bar=True,
                 batch_size=len(sample.inputs))  # fmt: skip
        return loss

    def validation_step(self, batch: dict[str, torch.Tensor], batch_idx: int) -> None:
        self._evaluate(batch, "val")

    def test_step(self, batch: dict[str, torch.Tensor], batch_idx: int) -> None:
        self._evaluate(batch, "test")

    def _evaluate(self, batch: dict[str, torch.Tensor], stage: str) -> None:
        sample = self.prepare_batch(batch, stage)
        pred = self(sample.inputs)
        batch_size = len(sample.inputs)
        self.log(f"{stage}/loss", self.compute_loss(pred, sample.target), batch_size=batch_size)
        metrics = self.metrics[stage]
        self.update_metrics(metrics, sample, pred)
        for name, metric in metrics.items():
            self.log(f"{stage}/{name}", metric, batch_size=batch_size,
                     prog_bar=f"{stage}/{name}" == self.hparams.monitor)  # fmt: skip

    @torch.no_grad()
    def preview(self, batch: dict[str, torch.Tensor]) -> list[torch.Tensor]:
        """Preview panels for a validation batch (deterministic, so comparable across epochs)."""
        sample = self.prepare_batch(batch, "val")
        return [p.float().clamp(0, 1) for p in self.preview_panels(sample, self(sample.inputs))]

    def configure_optimizers(self) -> Any:
        optimizer = self.optimizer_factory(params=self.parameters())
        if self.scheduler_factory is None:
            return optimizer
        return {
            "optimizer": optimizer,
            "lr_scheduler": {
                "scheduler": self.scheduler_factory(optimizer=optimizer),
                "monitor": self.hparams.monitor,
                "interval": "epoch",
            },
        }
