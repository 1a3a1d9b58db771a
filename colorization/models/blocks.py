"""Building blocks shared by every UNet-family model.

Each block is small and composable so that a model variant is a short composition of blocks,
never an edited copy of another model.
"""

from __future__ import annotations

from typing import Literal

import torch
import torch.nn.functional as F
from torch import nn

NormName = Literal["batch", "instance", "group", "none"]
UpsampleName = Literal["nearest", "bilinear", "transpose"]


def make_norm(norm: NormName, channels: int) -> nn.Module:
    """Return the normalisation layer called ``norm`` for ``channels`` feature maps."""
    if norm == "batch":
        return nn.BatchNorm2d(channels)
    if norm == "instance":
        return nn.InstanceNorm2d(channels, affine=True)
    if norm == "group":
        groups = next(g for g in (32, 16, 8, 4, 2, 1) if channels % g == 0)
        return nn.GroupNorm(groups, channels)
    if norm == "none":
        return nn.Identity()
    raise ValueError(f"Unknown norm {norm!r}; choose one of batch, instance, group, none.")


class ConvNormAct(nn.Sequential):
    """Conv3x3 (biased, as in the reference implementations) -> norm -> ReLU."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        norm: NormName = "batch",
        dilation: int = 1,
    ) -> None:
        super().__init__(
            nn.Conv2d(in_channels, out_channels, 3, padding=dilation, dilation=dilation),
            make_norm(norm, out_channels),
            nn.ReLU(inplace=True),
        )


class ConvBlock(nn.Sequential):
    """The UNet double convolution: [Conv3x3 -> norm -> ReLU] x 2, optional spatial dropout."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        norm: NormName = "batch",
        dropout: float = 0.0,
    ) -> None:
        layers: list[nn.Module] = [
            ConvNormAct(in_channels, out_channels, norm),
            ConvNormAct(out_channels, out_channels, norm),
        ]
        if dropout > 0:
            layers.append(nn.Dropout2d(dropout))
        super().__init__(*layers)


class UpBlock(nn.Sequential):
    """Double the spatial size and map ``in_channels`` to ``out_channels``.

    ``nearest`` / ``bilinear``: Upsample x2 -> Conv3x3 -> norm -> ReLU (the reference ``up_conv``).
    ``transpose``: a 2x2 stride-2 transposed convolution (Ronneberger et al.).
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        mode: UpsampleName = "nearest",
        norm: NormName = "batch",
    ) -> None:
        if mode == "transpose":
            super().__init__(nn.ConvTranspose2d(in_channels, out_channels, 2, stride=2))
            return
        if mode not in ("nearest", "bilinear"):
            raise ValueError(
                f"Unknown upsample {mode!r}; choose one of nearest, bilinear, transpose."
            )
        upsample = (
            nn.Upsample(scale_factor=2, mode="nearest")
            if mode == "nearest"
            else nn.Upsample(scale_factor=2, mode="bilinear", align_corners=False)
        )
        super().__init__(upsample, ConvNormAct(in_channels, out_channels, norm))


def pad_to_multiple(x: torch.Tensor, multiple: int) -> tuple[torch.Tensor, tuple[int, int]]:
    """Replicate-pad the bottom/right of ``x`` so that H and W divide ``multiple``.

    Returns the padded tensor and the original (H, W) so the caller can crop back. This is what
    lets any input size (e.g. 37x53) pass through a network with ``depth`` 2x down-samplings.
    """
    height, width = x.shape[-2:]
    pad_h = (-height) % multiple
    pad_w = (-width) % multiple
    if pad_h or pad_w:
        x = F.pad(x, (0, pad_w, 0, pad_h), mode="replicate")
    return x, (height, width)
