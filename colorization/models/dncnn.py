"""DnCNN (Zhang, Zuo, Chen, Meng & Zhang, "Beyond a Gaussian Denoiser: Residual Learning of Deep
CNN for Image Denoising", IEEE TIP 2017).

A plain stack at the input's resolution: a 3x3 convolution with ReLU, ``depth - 2`` blocks of
3x3 convolution (no bias) + BatchNorm + ReLU, and a 3x3 convolution (no bias) to the output.
No pooling, so any input size works. The network predicts what the task asks for; the paper's
residual learning (the network predicts the noise, the clean image is the input minus it) is
the denoising task's ``residual`` setting, so every zoo model can be trained that way.

The layout, the BatchNorm settings (eps 1e-4, momentum 0.95: the authors found that the noisy
input stabilises the batch statistics) and orthogonal initialisation follow the authors'
PyTorch code (cszn/DnCNN, TrainingCodes/dncnn_pytorch). Published: 17 layers for one noise
level (DnCNN-S), 20 for blind denoising (DnCNN-B, CDnCNN-B), 64 channels.
"""

from __future__ import annotations

from typing import get_args

import torch
from torch import nn

from colorization.models.blocks import NormName, UpsampleName, make_norm
from colorization.models.init import InitName, init_weights


def middle_norm(norm: NormName, width: int) -> nn.Module:
    """The authors' BatchNorm for ``batch``, else the zoo's norm of that name."""
    if norm == "batch":
        return nn.BatchNorm2d(width, eps=1e-4, momentum=0.95)
    return make_norm(norm, width)


class DnCNN(nn.Module):
    """Args:
    in_channels / out_channels: 1 (grey) or 3 (colour); the task sets them.
    base_width: channels of every hidden layer (64 published).
    depth: convolution layers in all (17 published for one noise level, 20 for blind).
    norm: in the middle layers: ``batch`` (published), ``instance``, ``group`` or ``none``.
    dropout: spatial dropout after each middle layer (0 published).
    init: ``orthogonal`` (the authors'), or the zoo's ``default``, ``normal``, ``kaiming``,
        ``xavier``.
    upsample: accepted (and checked) like every zoo model's, so that one override fits a sweep
        over models; DnCNN never changes resolution, so it has no up-sampling to choose.
    """

    def __init__(
        self,
        in_channels: int = 1,
        out_channels: int = 1,
        base_width: int = 64,
        depth: int = 17,
        norm: NormName = "batch",
        dropout: float = 0.0,
        init: InitName = "orthogonal",
        upsample: UpsampleName = "nearest",
    ) -> None:
        super().__init__()
        if upsample not in get_args(UpsampleName):
            raise ValueError(
                f"Unknown upsample {upsample!r}; choose one of nearest, bilinear, transpose."
            )
        if depth < 2:
            raise ValueError(
                f"model.depth must be >= 2 (the first and the last layer), got {depth}."
            )
        if base_width < 1:
            raise ValueError(f"model.base_width must be >= 1, got {base_width}.")
        self.in_channels, self.out_channels = in_channels, out_channels
        layers: list[nn.Module] = [
            nn.Conv2d(in_channels, base_width, 3, padding=1),
            nn.ReLU(inplace=True),
        ]
        for _ in range(depth - 2):
            layers += [
                nn.Conv2d(base_width, base_width, 3, padding=1, bias=False),
                middle_norm(norm, base_width),
                nn.ReLU(inplace=True),
            ]
            if dropout > 0:
                layers.append(nn.Dropout2d(dropout))
        layers.append(nn.Conv2d(base_width, out_channels, 3, padding=1, bias=False))
        self.layers = nn.Sequential(*layers)
        init_weights(self, init)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.layers(x)
