"""colorization.training.clipping: norm, value and adaptive gradient clipping."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from colorization.models import UNet
from colorization.training.clipping import adaptive_clip_grad_, clip_gradients_


def test_adaptive_clipping_bounds_unitwise_ratio() -> None:
    layer = nn.Conv2d(3, 4, 3)
    layer.weight.grad = torch.randn_like(layer.weight) * 100
    layer.bias.grad = torch.randn_like(layer.bias) * 100
    adaptive_clip_grad_(layer.parameters(), clip=0.01)
    weight_norms = layer.weight.detach().flatten(1).norm(dim=1).clamp(min=1e-3)
    grad_norms = layer.weight.grad.flatten(1).norm(dim=1)
    assert torch.all(grad_norms <= 0.01 * weight_norms * 1.0001)


@pytest.mark.parametrize("algorithm", ["norm", "value", "agc"])
def test_clipping_reduces_large_gradients(algorithm: str) -> None:
    model = UNet(4, 2, base_width=4, depth=1)
    for p in model.parameters():
        p.grad = torch.full_like(p, 10.0)
    clip_gradients_(model.parameters(), algorithm, 0.5)
    grads = torch.cat([p.grad.flatten() for p in model.parameters()])
    if algorithm == "norm":
        assert grads.norm() <= 0.5 + 1e-4
    else:
        assert grads.abs().max() < 10.0
    with pytest.raises(ValueError, match="gradient_clip_algorithm"):
        clip_gradients_(model.parameters(), "median", 1.0)  # type: ignore[arg-type]
