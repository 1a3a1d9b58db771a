"""Scalar random draws from an explicit ``torch.Generator``: what the on-the-fly data makers
(synthetic shapes, procedural flare) use so that a seed gives the same sample every time."""

from __future__ import annotations

import torch


def uniform(generator: torch.Generator, low: float, high: float) -> float:
    """A float drawn uniformly from [low, high)."""
    return low + (high - low) * float(torch.rand((), generator=generator))


def integer(generator: torch.Generator, low: int, high: int) -> int:
    """An integer drawn uniformly from [low, high], both ends included."""
    return int(torch.randint(low, high + 1, (), generator=generator))
