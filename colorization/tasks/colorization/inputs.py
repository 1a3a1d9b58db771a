"""The colorization network's input, assembled the same way in training, validation and
prediction: L, the hints' ab and their mask (or L alone for an automatic model), and with a
propagation the hints spread by that classical method (Levin et al. 2004) as 2 more channels."""

from __future__ import annotations

import torch

from colorization.data.colorization.baselines import BASELINES


def network_inputs(
    lightness: torch.Tensor,
    hint_ab: torch.Tensor,
    mask: torch.Tensor,
    lightness_only: bool = False,
    propagation: str | None = None,
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """(inputs (B, 1, 4 or 6, H, W), the propagated ab or None); all normalised as the task."""
    parts = [lightness] if lightness_only else [lightness, hint_ab, mask]
    propagated = None
    if propagation is not None:
        propagated = BASELINES[propagation](lightness, hint_ab, mask)
        parts.append(propagated)
    return torch.cat(parts, dim=1), propagated
