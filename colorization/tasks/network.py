"""The task's network from the model config: the task's channel counts filled in, and the
range of its RGB inputs told to networks that normalise them (pretrained encoders)."""

from __future__ import annotations

import functools
from collections.abc import Callable

from torch import nn

NetworkFactory = Callable[..., nn.Module]


def complete_network(
    net: nn.Module | NetworkFactory,
    in_channels: int | None,
    out_channels: int | None,
    task: str,
    rgb_input_range: tuple[float, float] | None = None,
) -> nn.Module:
    """The network for a task: a ``_partial_`` model config is called with the task's channel
    counts; a ready module is checked against them. A conflicting ``model.in_channels`` or
    ``model.out_channels`` stops with the fix. A network with ``set_input_range`` is told the
    range the task's inputs are RGB in (``None``: they are not RGB)."""
    wanted = {"in_channels": in_channels, "out_channels": out_channels}
    if isinstance(net, nn.Module):
        given = {name: getattr(net, name, None) for name in wanted}
    else:
        given = dict(getattr(net, "keywords", {})) if isinstance(net, functools.partial) else {}
    for name, expected in wanted.items():
        actual = given.get(name)
        if expected is not None and actual is not None and actual != expected:
            raise ValueError(
                f"model.{name}={actual} but task {task} needs {expected}. "
                f"Remove the override of model.{name} or set it to {expected}."
            )
    if not isinstance(net, nn.Module):
        net = net(**{name: value for name, value in wanted.items() if value is not None})
    set_input_range = getattr(net, "set_input_range", None)
    if set_input_range is not None:
        set_input_range(rgb_input_range)
    return net
