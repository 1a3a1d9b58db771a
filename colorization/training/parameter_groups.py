"""The optimizer's parameter groups: a network may ask for some of its parameters to learn at
another rate (a pretrained encoder at a tenth of the decoder's, the usual fine-tuning recipe).

A network says so with ``parameter_groups()``: a list of ``{"params": [...], "lr_scale": s}``.
Everything else of the module being optimized forms the first group, at the optimizer's own
learning rate; each other group's ``lr`` is that rate times its ``lr_scale`` (kept in the group,
so schedulers, which scale every group's initial rate, keep the ratio).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import nn


def build_optimizer(
    factory: Callable[..., torch.optim.Optimizer], module: nn.Module, net: nn.Module | None
) -> torch.optim.Optimizer:
    """``factory`` (a partial optimizer) over ``module``'s parameters, grouped as ``net`` asks."""
    groups: list[dict[str, Any]] = (
        net.parameter_groups() if net is not None and hasattr(net, "parameter_groups") else []
    )
    if not groups:
        return factory(params=module.parameters())
    grouped = {id(p) for group in groups for p in group["params"]}
    rest = [p for p in module.parameters() if id(p) not in grouped]
    optimizer = factory(params=[{"params": rest, "lr_scale": 1.0}, *groups])
    for group in optimizer.param_groups:
        group["lr"] = group["lr"] * group["lr_scale"]
    return optimizer
