"""PatchGAN discriminator of pix2pix (Isola et al. 2017), ``NLayerDiscriminator``."""

from __future__ import annotations

import torch
from torch import nn

from colorization.models.blocks import NormName, make_norm
from colorization.models.init import InitName, init_weights


class PatchDiscriminator(nn.Module):
    """Classifies overlapping patches as real or fake; one logit per patch (no sigmoid).

    With ``n_layers=3``: C64(s2, no norm) - C128(s2) - C256(s2) - C512(s1) - C1(s1), kernel 4,
    padding 1, LeakyReLU 0.2: a 70x70 receptive field. The input is the condition and the
    (real or generated) output concatenated along channels, so ``in_channels`` is their sum.
    Convolutions carry a bias only where the norm has no affine shift (instance norm or none),
    as in pix2pix. Initialised N(0, 0.02) like pix2pix.
    """

    def __init__(
        self,
        in_channels: int = 6,
        base_width: int = 64,
        n_layers: int = 3,
        norm: NormName = "batch",
        init: InitName = "normal",
    ) -> None:
        super().__init__()
        if n_layers < 1:
            raise ValueError(f"discriminator n_layers must be >= 1, got {n_layers}.")
        self.in_channels = in_channels
        bias = norm in ("instance", "none")
        layers: list[nn.Module] = [
            nn.Conv2d(in_channels, base_width, 4, stride=2, padding=1),
            nn.LeakyReLU(0.2, inplace=True),
        ]
        width = base_width
        for layer in range(1, n_layers + 1):
            next_width = base_width * min(2**layer, 8)
            stride = 2 if layer < n_layers else 1
            layers += [
                nn.Conv2d(width, next_width, 4, stride=stride, padding=1, bias=bias),
                make_norm(norm, next_width),
                nn.LeakyReLU(0.2, inplace=True),
            ]
            width = next_width
        layers.append(nn.Conv2d(width, 1, 4, stride=1, padding=1))
        self.model = nn.Sequential(*layers)
        init_weights(self, init)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x)
