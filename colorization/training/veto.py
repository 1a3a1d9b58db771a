"""Vetoing an optimizer step on the device, so that the loss guard needs no host read per step.

Three ways, from cheapest to dearest, all leaving parameters and optimizer state exactly as they
were when ``flagged`` is true:

- under fp16 loss scaling, one gradient is set to ``inf`` where flagged: the ``GradScaler``'s own
  overflow check then skips the step (and lowers its scale, as for any overflow);
- optimizers with fused kernels (``fused=True`` Adam, AdamW, SGD, Adagrad) take a ``found_inf``
  tensor, the hook ``GradScaler`` itself uses, and skip the update inside the kernel, step count
  included;
- any other optimizer: the verdict is read on the host (one wait per step) and a flagged step's
  gradients are dropped (torch optimizers leave parameters without gradients untouched).
"""

from __future__ import annotations

import math

import torch


def parameters_of(optimizer: torch.optim.Optimizer) -> list[torch.nn.Parameter]:
    """Every parameter an optimizer updates, over its parameter groups."""
    return [p for group in optimizer.param_groups for p in group["params"]]


def supports_found_inf(optimizer: torch.optim.Optimizer) -> bool:
    """Whether ``optimizer.step`` honours a ``found_inf`` attribute (torch's fused kernels)."""
    return bool(getattr(optimizer, "_step_supports_amp_scaling", False))


def veto_if_flagged(
    optimizer: torch.optim.Optimizer, flagged: torch.Tensor, loss_scaling: bool
) -> None:
    """Make ``optimizer``'s next step change nothing if ``flagged`` (a 0-dim bool tensor)."""
    if loss_scaling:
        grads = [p.grad for p in parameters_of(optimizer)]
        grads = [grad for grad in grads if grad is not None]
        if grads:
            min(grads, key=torch.Tensor.numel).masked_fill_(flagged, math.inf)
    elif supports_found_inf(optimizer):
        optimizer.found_inf = flagged.float()
    elif bool(flagged):
        optimizer.zero_grad(set_to_none=True)


def clear_veto(optimizer: torch.optim.Optimizer) -> None:
    """Remove the ``found_inf`` set by :func:`veto_if_flagged` once the step is done."""
    vars(optimizer).pop("found_inf", None)
