"""PropagationRefiner: starts at the propagation it is given and learns a correction."""

from __future__ import annotations

import torch
from torch import nn

from colorization.models import UNet
from colorization.models.refiner import PropagationRefiner


def test_an_untrained_refiner_returns_the_propagation_exactly() -> None:
    refiner = PropagationRefiner(UNet(6, 2, base_width=4, depth=2))
    inputs = torch.randn(2, 6, 13, 19)  # odd sizes
    assert torch.equal(refiner(inputs), inputs[:, 4:])


def test_the_gate_learns_first_then_the_network() -> None:
    inner = UNet(6, 2, base_width=4, depth=2)
    refiner = PropagationRefiner(inner)
    inputs, target = torch.randn(2, 6, 16, 16), torch.randn(2, 2, 16, 16)
    nn.functional.l1_loss(refiner(inputs), target).backward()
    assert refiner.gate.grad is not None and refiner.gate.grad.abs() > 0
    assert all(p.grad is None or not p.grad.any() for p in inner.parameters())
    refiner.zero_grad()
    with torch.no_grad():
        refiner.gate.fill_(0.5)
    nn.functional.l1_loss(refiner(inputs), target).backward()
    assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in inner.parameters())


class TwoHeads(nn.Module):
    def forward(self, inputs: torch.Tensor) -> list[torch.Tensor]:
        return [inputs[:, :2], inputs[:, 2:4]]


def test_each_head_of_a_deeply_supervised_network_is_refined() -> None:
    refiner = PropagationRefiner(TwoHeads())
    with torch.no_grad():
        refiner.gate.fill_(2.0)
    inputs = torch.randn(1, 6, 5, 5)
    heads = refiner(inputs)
    assert torch.allclose(heads[0], inputs[:, 4:] + 2 * inputs[:, :2])
    assert torch.allclose(heads[1], inputs[:, 4:] + 2 * inputs[:, 2:4])
