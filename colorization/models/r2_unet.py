"""R2U-Net (Alom et al. 2018, "Recurrent Residual Convolutional Neural Network based on U-Net
(R2U-Net) for Medical Image Segmentation"): recurrent residual conv blocks.

At the reference settings (base width 64, depth 4, nearest + conv up, 3 -> 1) the parameter
count equals LeeJunHyun/Image_Segmentation's ``R2U_Net`` whatever ``t`` (the recurrent
convolution shares its weights).
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
