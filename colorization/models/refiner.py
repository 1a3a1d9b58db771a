"""A network that refines a colorization it is given, instead of predicting one from nothing.

The colorization task (``task.propagation=levin``) appends a classical propagation of the hints
(Levin, Lischinski & Weiss 2004) to the network's inputs as its last two channels; this wrapper
returns that propagation plus a learnt correction, ``ab = propagated + gate * network(inputs)``.
The gate is one scalar that starts at 0 (ReZero: Bachlechner et al. 2021, "ReZero is All You
Need"), so an untrained refiner reproduces the propagation exactly and training can only start
from it; any zoo model can be the inner network.
"""

from __future__ import annotations

import torch
from torch import nn


class PropagationRefiner(nn.Module):
    """``inputs[:, -2:] + gate * network(inputs)``; a deeply supervised network's heads are each
    refined the same way."""

    def __init__(self, network: nn.Module, propagated_channels: int = 2) -> None:
        super().__init__()
        self.network = network
        self.propagated_channels = propagated_channels
        self.gate = nn.Parameter(torch.zeros(1))

    def forward(self, inputs: torch.Tensor) -> torch.Tensor | list[torch.Tensor]:
        propagated = inputs[:, -self.propagated_channels :]
        output = self.network(inputs)
        if isinstance(output, torch.Tensor):
            return propagated + self.gate * output
        return [propagated + self.gate * head for head in output]
