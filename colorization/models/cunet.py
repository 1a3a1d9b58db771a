"""CUNet (Wang, Chen & Tian, Symmetry 2022): U-Net with a dilated ("expanded") bottleneck."""

from __future__ import annotations

from typing import Any

from torch import nn

from colorization.models.blocks import DilatedBlock
from colorization.models.unet import UNet


class CUNet(UNet):
    """U-Net with ``depth`` (3) down/up-samplings whose lowest levels are replaced by
    ``dilated_blocks`` blocks of three dilated 3x3 convolutions at the lowest resolution: the
    receptive field keeps growing without losing resolution.

    Takes the options of :class:`UNet` (``depth`` defaults to 3), plus ``dilated_blocks`` and
    ``dilation``.
    """

    def __init__(
        self,
        *args: Any,
        depth: int = 3,
        dilated_blocks: int = 2,
        dilation: int = 2,
        **kwargs: Any,
    ) -> None:
        if dilated_blocks < 1 or dilation < 1:
            raise ValueError("model.dilated_blocks and model.dilation must be >= 1.")
        self.dilated_blocks = dilated_blocks
        self.dilation = dilation
        super().__init__(*args, depth=depth, **kwargs)

    def make_bottleneck(self, channels: int) -> nn.Module:
        blocks = (
            DilatedBlock(channels, self.dilation, self.norm, self.dropout)
            for _ in range(self.dilated_blocks)
        )
        return nn.Sequential(*blocks)
