"""Residual Dense Network (Zhang, Tian, Kong, Zhong & Fu, "Residual Dense Network for Image
Super-Resolution", CVPR 2018).

Two shallow 3x3 convolutions, D residual dense blocks (each: C densely connected 3x3
convolutions with ReLU, a 1x1 local feature fusion and a local residual), global feature
fusion (1x1 over all blocks' outputs, then 3x3) with a global residual to the first shallow
features, then the up-sampler and a 3x3 convolution to the output. All at the input's
resolution until the up-sampler, so any input size works without padding.

The layout and parameter count follow the widely used yjn870/RDN-pytorch (whose blocks output
G channels and whose first block therefore needs G0 = G: one width, ``base_width``, here).
``scale`` 1 has no up-sampler: then RDN is an image-to-image network like the rest of the zoo.
"""

from __future__ import annotations

from typing import Literal, get_args

import torch
from torch import nn

from colorization.models.blocks import NormName, make_norm
from colorization.models.init import InitName, init_weights

RDNUpsample = Literal["pixel_shuffle", "transpose", "nearest", "bilinear"]
UPSAMPLERS: tuple[str, ...] = get_args(RDNUpsample)
# (blocks D, layers per block C): the paper's, and a light one (5 blocks of 4 layers).
PRESETS = {"paper": (16, 8), "light": (5, 4)}


class DenseLayer(nn.Module):
    """3x3 convolution (+ norm) + ReLU whose output is concatenated to its input."""

    def __init__(self, in_channels: int, growth: int, norm: NormName) -> None:
        super().__init__()
        self.conv = nn.Conv2d(in_channels, growth, 3, padding=1)
        self.norm = make_norm(norm, growth)
        self.act = nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([x, self.act(self.norm(self.conv(x)))], dim=1)


class ResidualDenseBlock(nn.Module):
    """C dense layers, a 1x1 local feature fusion, and the block's input added back."""

    def __init__(self, width: int, layers: int, norm: NormName, dropout: float) -> None:
        super().__init__()
        self.layers = nn.Sequential(
            *(DenseLayer(width * (1 + i), width, norm) for i in range(layers))
        )
        self.fusion = nn.Conv2d(width * (1 + layers), width, 1)
        self.dropout = nn.Dropout2d(dropout) if dropout > 0 else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.dropout(self.fusion(self.layers(x)))


def upsampler(width: int, scale: int, mode: RDNUpsample) -> nn.Module:
    """``scale``x up-sampling of ``width`` channels: sub-pixel convolution (the paper's; x4 as two
    x2 steps), a transposed convolution, or interpolation followed by a 3x3 convolution."""
    if scale == 1:
        return nn.Identity()
    if mode == "pixel_shuffle":
        steps = [2, 2] if scale == 4 else [scale]
        layers: list[nn.Module] = []
        for step in steps:
            layers += [nn.Conv2d(width, width * step**2, 3, padding=1), nn.PixelShuffle(step)]
        return nn.Sequential(*layers)
    if mode == "transpose":
        return nn.ConvTranspose2d(width, width, kernel_size=scale, stride=scale)
    return nn.Sequential(  # nearest or bilinear (checked by RDN)
        nn.Upsample(scale_factor=scale, mode=mode), nn.Conv2d(width, width, 3, padding=1)
    )


class RDN(nn.Module):
    """Args:
    in_channels / out_channels: 3 -> 3 for super-resolution; any counts work.
    base_width: G0 = G, the width of every block (64 published).
    preset: ``paper`` (16 blocks of 8 layers) or ``light`` (5 blocks of 4); ``blocks`` /
        ``layers`` override it.
    scale: up-sampling factor 1 (none), 2, 3 or 4 (the super-resolution task sets it).
    upsample: ``pixel_shuffle`` (published), ``transpose``, ``nearest`` or ``bilinear``.
    norm: after each dense layer's convolution (``none`` published: RDN has no BatchNorm).
    dropout: spatial dropout on each block's residual branch.
    init: weight init, ``default`` (PyTorch's), ``normal``, ``kaiming`` or ``xavier``.
    """

    def __init__(
        self,
        in_channels: int = 3,
        out_channels: int = 3,
        base_width: int = 64,
        preset: str = "paper",
        blocks: int | None = None,
        layers: int | None = None,
        scale: int = 1,
        upsample: RDNUpsample = "pixel_shuffle",
        norm: NormName = "none",
        dropout: float = 0.0,
        init: InitName = "default",
    ) -> None:
        super().__init__()
        if preset not in PRESETS:
            raise ValueError(f"model.preset must be one of {sorted(PRESETS)}, got {preset!r}.")
        if scale not in (1, 2, 3, 4):
            raise ValueError(f"model.scale must be 1, 2, 3 or 4, got {scale}.")
        if base_width < 1:
            raise ValueError(f"model.base_width must be >= 1, got {base_width}.")
        if upsample not in UPSAMPLERS:
            raise ValueError(
                f"model.upsample must be one of {', '.join(UPSAMPLERS)}, got {upsample!r}."
            )
        blocks = blocks or PRESETS[preset][0]
        layers = layers or PRESETS[preset][1]
        self.in_channels, self.out_channels, self.scale = in_channels, out_channels, scale
        width = base_width
        self.shallow1 = nn.Conv2d(in_channels, width, 3, padding=1)
        self.shallow2 = nn.Conv2d(width, width, 3, padding=1)
        self.blocks = nn.ModuleList(
            ResidualDenseBlock(width, layers, norm, dropout) for _ in range(blocks)
        )
        self.global_fusion = nn.Sequential(
            nn.Conv2d(width * blocks, width, 1), nn.Conv2d(width, width, 3, padding=1)
        )
        self.upsample = upsampler(width, scale, upsample)
        self.output = nn.Conv2d(width, out_channels, 3, padding=1)
        init_weights(self, init)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        first = self.shallow1(x)
        x = self.shallow2(first)
        features = []
        for block in self.blocks:
            x = block(x)
            features.append(x)
        x = self.global_fusion(torch.cat(features, dim=1)) + first
        return self.output(self.upsample(x))
