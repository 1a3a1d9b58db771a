"""Weight initialisation schemes of the reference implementations."""

from __future__ import annotations

from typing import Literal

from torch import nn

InitName = Literal["default", "normal", "kaiming", "xavier", "orthogonal"]
_NORMS = (nn.BatchNorm2d, nn.InstanceNorm2d, nn.GroupNorm)


def init_weights(module: nn.Module, scheme: InitName = "default", gain: float = 0.02) -> None:
    """Initialise every conv layer and norm of ``module`` in place.

    ``default`` keeps PyTorch's initialisation (what the LeeJunHyun reference actually runs: its
    ``init_weights`` is never called). ``normal`` is the pix2pix/reference ``init_weights``:
    conv weights ~ N(0, gain), norm weights ~ N(1, gain), biases 0. ``kaiming`` is He-normal
    (fan-in, ReLU) and ``xavier`` Glorot-normal with ``gain``; ``orthogonal`` is Saxe et al.'s
    (DnCNN's authors use it); the last three set norms to 1 / 0.
    """
    if scheme == "default":
        return
    if scheme not in ("normal", "kaiming", "xavier", "orthogonal"):
        raise ValueError(
            f"Unknown init {scheme!r}; choose one of default, normal, kaiming, xavier, orthogonal."
        )
    for layer in module.modules():
        if isinstance(layer, nn.Conv2d | nn.ConvTranspose2d | nn.Linear):
            if scheme == "normal":
                nn.init.normal_(layer.weight, 0.0, gain)
            elif scheme == "kaiming":
                nn.init.kaiming_normal_(layer.weight, a=0, mode="fan_in", nonlinearity="relu")
            elif scheme == "orthogonal":
                nn.init.orthogonal_(layer.weight)
            else:
                nn.init.xavier_normal_(layer.weight, gain=gain)
            if layer.bias is not None:
                nn.init.zeros_(layer.bias)
        elif isinstance(layer, _NORMS) and layer.weight is not None:
            if scheme == "normal":
                nn.init.normal_(layer.weight, 1.0, gain)
            else:
                nn.init.ones_(layer.weight)
            nn.init.zeros_(layer.bias)
