"""CUNet (Wang, Chen & Tian, Symmetry 2022): U-Net with a dilated ("expanded") bottleneck."""

from __future__ import annotations

from torch import nn

from colorization.models.blocks import DilatedBlock, NormName, UpsampleName
from colorization.models.init import InitName
from colorization.models.unet import UNet


class CUNet(UNet):
    """U-Net with ``depth`` (3) down/up-samplings whose lowest levels are replaced by
    ``dilated_blocks`` blocks of three dilated 3x3 convolutions at the lowest resolution: the
    receptive field keeps growing without losing resolution.
    """

    def __init__(
        self,
        in_channels: int = 3,
        out_channels: int = 1,
        base_width: int = 64,
        depth: int = 3,
        upsample: UpsampleName = "nearest",
        norm: NormName = "batch",
        dropout: float = 0.0,
        init: InitName = "default",
        dilated_blocks: int = 2,
        dilation: int = 2,
    ) -> None:
        if dilated_blocks < 1 or dilation < 1:
            raise ValueError("model.dilated_blocks and model.dilation must be >= 1.")
        self.dilated_blocks = dilated_blocks
        self.dilation = dilation
        super().__init__(
            in_channels, out_channels, base_width, depth, upsample, norm, dropout, init
        )

    def make_bottleneck(self, channels: int) -> nn.Module:
        return nn.Sequential(
            *(
                DilatedBlock(channels, self.dilation, self.norm, self.dropout)
                for _ in range(self.dilated_blocks)
            )
        )
