"""The training loss, written to the loggers as the mean since the last logging step."""

from __future__ import annotations

import torch


class LossWindow:
    """Adds up the training loss on the device between two logging steps.

    Why not ``self.log`` at every step: each call costs Lightning a pass over its result object
    (it moves it to the value's device), a measurable share of the framework loop's own cost per
    step (docs/benchmark.md). Logged with the window's sample count as ``batch_size``, the epoch
    mean Lightning computes is the same sample-weighted mean as with one call per step; the step
    value is the mean over the window, as timm's and Hugging Face's training loops report it.
    """

    def __init__(self) -> None:
        self.total: torch.Tensor | None = None
        self.samples = 0

    def add(self, loss: torch.Tensor, samples: int) -> None:
        """Count one step's mean ``loss`` over ``samples`` samples (no host read)."""
        weighted = loss.detach().float() * samples
        self.total = weighted if self.total is None else self.total + weighted
        self.samples += samples

    def take(self) -> tuple[torch.Tensor, int]:
        """The window's mean loss and sample count; the window starts afresh."""
        if self.total is None:
            raise RuntimeError("No loss was added since the last take().")
        mean, samples = self.total / self.samples, self.samples
        self.total, self.samples = None, 0
        return mean, samples
