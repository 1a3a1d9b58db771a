"""Whole photos at a working size: the network sees the photo with its shorter side resized to
the scale it was validated at (the spec's ``working_size``), and its output is resized back to
the photo's full resolution by the task."""

from __future__ import annotations

import torch

from colorization.inference.spec import InferenceSpec

DEFAULT_WORKING_SIZE = 256


def working_shape(height: int, width: int, short_side: int) -> tuple[int, int]:
    """(h, w) with the shorter side ``short_side`` and the photo's aspect ratio; a photo smaller
    than that keeps its own size (up-sampling it would only blur what the network sees)."""
    scale = min(short_side / min(height, width), 1.0)
    return max(round(height * scale), 1), max(round(width * scale), 1)


def chosen_working_size(given: int | None, spec: InferenceSpec) -> int:
    """``given`` (a command-line override), else the spec's working size."""
    size = int(given or spec.setting("working_size", DEFAULT_WORKING_SIZE))
    if size < 8:
        raise ValueError(f"--working-size must be >= 8 pixels, got {size}.")
    return size


def to_uint8(rgb: torch.Tensor) -> torch.Tensor:
    return (rgb.clamp(0, 1) * 255).round().to(torch.uint8)
