"""R2U-Net and R2AttU-Net (Alom et al. 2018): recurrent residual conv blocks.

Reference settings (base width 64, depth 4, nearest + conv up, 3 -> 1): R2U-Net 39,091,393 and
R2AttU-Net 39,442,925 parameters, whatever ``t`` (the recurrent convolution shares its weights).
"""

from __future__ import annotations

from typing import Any

from torch import nn

from colorization.models.blocks import RRCNNBlock
from colorization.models.unet import UNet


class R2UNet(UNet):
    """U-Net whose every conv block is a recurrent residual block with ``t`` recurrent steps.

    Takes the options of :class:`UNet`, plus ``t``.
    """

    def __init__(self, *args: Any, t: int = 2, **kwargs: Any) -> None:
        self.t = t  # read by block() while UNet builds the layers
        super().__init__(*args, **kwargs)

    def block(self, in_channels: int, out_channels: int) -> nn.Module:
        return RRCNNBlock(in_channels, out_channels, self.norm, self.dropout, self.t)


class R2AttentionUNet(R2UNet):
    """R2U-Net with attention gates on the skips."""

    attention = True
