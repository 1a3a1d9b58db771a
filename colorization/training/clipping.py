"""Gradient clipping: by global norm, by value, or adaptive (AGC).

AGC (Brock et al. 2021, "High-Performance Large-Scale Image Recognition Without Normalization")
is not in torch or Lightning; it is a few lines, written here rather than pulling in timm.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

import torch

ClipAlgorithm = Literal["norm", "value", "agc"]


def _unitwise_norm(tensor: torch.Tensor) -> torch.Tensor:
    """Norm per output unit (row of a linear / output channel of a conv); whole norm for 1-D."""
    if tensor.dim() <= 1:
        return tensor.norm(p=2)
    return tensor.norm(p=2, dim=tuple(range(1, tensor.dim())), keepdim=True)


@torch.no_grad()
def adaptive_clip_grad_(
    parameters: Iterable[torch.Tensor], clip: float = 0.01, eps: float = 1e-3
) -> None:
    """Scale each unit's gradient so that ``|G| <= clip * max(|W|, eps)`` (unit-wise norms)."""
    for param in parameters:
        if param.grad is None:
            continue
        max_norm = _unitwise_norm(param).clamp(min=eps) * clip
        grad_norm = _unitwise_norm(param.grad)
        scale = (max_norm / grad_norm.clamp(min=1e-6)).clamp(max=1.0)
        param.grad.mul_(scale)


def clip_gradients_(
    parameters: Iterable[torch.Tensor], algorithm: ClipAlgorithm, value: float
) -> None:
    """Clip gradients in place with ``algorithm`` at ``value``."""
    parameters = [p for p in parameters if p.grad is not None]
    if algorithm == "norm":
        torch.nn.utils.clip_grad_norm_(parameters, value)
    elif algorithm == "value":
        torch.nn.utils.clip_grad_value_(parameters, value)
    elif algorithm == "agc":
        adaptive_clip_grad_(parameters, value)
    else:
        raise ValueError(
            f"optimization.gradient_clip_algorithm must be norm, value or agc, got {algorithm!r}."
        )
