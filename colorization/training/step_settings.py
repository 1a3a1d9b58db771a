"""What the training step is told by the task: its settings and the factories of its optimizer
and scheduler (the interface between a task and :mod:`.optimization`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch

from colorization.training.clipping import ClipAlgorithm, clip_gradients_
from colorization.training.veto import parameters_of, supports_found_inf

OptimizerFactory = Callable[..., torch.optim.Optimizer]
SchedulerFactory = Callable[..., Any]


@dataclass(frozen=True)
class StepSettings:
    """What the training step does besides forward and backward (``optimization.*`` and the
    task's ``monitor``), each checked here.

    Args:
        accumulate_grad_batches: batches whose gradients add up to one optimizer step.
        gradient_clip_val / gradient_clip_algorithm: clip at this value by ``norm``, ``value``
            or ``agc`` (adaptive, unit-wise); ``None`` disables clipping.
        monitor: the metric a reduce-on-plateau scheduler follows.
    """

    accumulate_grad_batches: int = 1
    gradient_clip_val: float | None = None
    gradient_clip_algorithm: ClipAlgorithm = "norm"
    monitor: str = "val/loss"

    def __post_init__(self) -> None:
        if self.accumulate_grad_batches < 1:
            raise ValueError(
                "optimization.accumulate_grad_batches must be >= 1, got "
                f"{self.accumulate_grad_batches}."
            )
        if self.gradient_clip_val is not None and self.gradient_clip_val <= 0:
            raise ValueError(
                f"optimization.gradient_clip_val must be > 0, got {self.gradient_clip_val}."
            )

    def clip(self, optimizer: torch.optim.Optimizer, scaler: torch.amp.GradScaler | None) -> None:
        """Clip ``optimizer``'s gradients (called before it steps, each optimizer its own),
        unscaled first under AMP: Lightning leaves unscaling to fused kernels, which is too
        late for clipping."""
        if self.gradient_clip_val is None:
            return
        if scaler is not None and supports_found_inf(optimizer):
            scaler.unscale_(optimizer)
        clip_gradients_(
            parameters_of(optimizer), self.gradient_clip_algorithm, self.gradient_clip_val
        )
