"""ResUNet (Zhang, Liu & Wang 2018, "Road extraction by deep residual U-Net")."""

from __future__ import annotations

from torch import nn

from colorization.models.blocks import ResidualBlock, ResidualStem
from colorization.models.unet import UNet


class ResUNet(UNet):
    """U-Net layout built from pre-activation residual units (same options as :class:`UNet`).

    The stem is Conv-norm-ReLU-Conv with a conv shortcut; each encoder level is a residual unit
    with stride 2 (no max-pooling); the decoder up-samples (transposed conv by default, as in the
    paper), concatenates the skip and applies a residual unit.
    """

    default_upsample = "transpose"

    def block(self, in_channels: int, out_channels: int) -> nn.Module:
        return ResidualBlock(in_channels, out_channels, self.norm, self.dropout)

    def stem(self, in_channels: int, out_channels: int) -> nn.Module:
        return ResidualStem(in_channels, out_channels, self.norm, self.dropout)

    def down(self, in_channels: int, out_channels: int) -> nn.Module:
        return ResidualBlock(in_channels, out_channels, self.norm, self.dropout, stride=2)
