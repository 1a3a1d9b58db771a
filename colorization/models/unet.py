"""U-Net (Ronneberger et al., 2015).

With ``base_width=64, depth=4, upsample="nearest"`` and 3 -> 1 channels the parameter count equals
the widely used public reference implementation (34,527,041).
"""

from __future__ import annotations

import torch
from torch import nn

from colorization.models.blocks import (
    ConvBlock,
    NormName,
    UpBlock,
    UpsampleName,
    pad_to_multiple,
)


class UNet(nn.Module):
    """Encoder-decoder with skip connections; any input size (padded inside, cropped back).

    Args:
        in_channels: input channels (colorization: 4 = L + hint ab + hint mask).
        out_channels: output channels (colorization: 2 = ab). The head has no activation.
        base_width: channels at the first level; level ``i`` has ``base_width * 2**i``.
        depth: number of 2x down-samplings.
        upsample: ``nearest`` or ``bilinear`` (+ conv), or ``transpose``.
        norm: ``batch``, ``instance``, ``group`` or ``none``.
        dropout: spatial dropout after each conv block (0 disables it).
    """

    def __init__(
        self,
        in_channels: int = 3,
        out_channels: int = 1,
        base_width: int = 64,
        depth: int = 4,
        upsample: UpsampleName = "nearest",
        norm: NormName = "batch",
        dropout: float = 0.0,
    ) -> None:
        super().__init__()
        if depth < 1:
            raise ValueError(f"UNet depth must be >= 1, got {depth}.")
        if base_width < 1:
            raise ValueError(f"UNet base_width must be >= 1, got {base_width}.")
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.depth = depth
        widths = [base_width * 2**level for level in range(depth + 1)]

        self.encoders = nn.ModuleList([ConvBlock(in_channels, widths[0], norm, dropout)])
        self.encoders.extend(
            ConvBlock(widths[level - 1], widths[level], norm, dropout)
            for level in range(1, depth + 1)
        )
        self.pool = nn.MaxPool2d(2)
        self.ups = nn.ModuleList(
            UpBlock(widths[level], widths[level - 1], upsample, norm)
            for level in range(depth, 0, -1)
        )
        self.decoders = nn.ModuleList(
            ConvBlock(2 * widths[level - 1], widths[level - 1], norm, dropout)
            for level in range(depth, 0, -1)
        )
        self.head = nn.Conv2d(widths[0], out_channels, kernel_size=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x, (height, width) = pad_to_multiple(x, 2**self.depth)
        skips = []
        for level, encoder in enumerate(self.encoders):
            if level > 0:
                x = self.pool(x)
            x = encoder(x)
            skips.append(x)
        x = skips.pop()
        for up, decoder in zip(self.ups, self.decoders, strict=True):
            x = decoder(torch.cat([skips.pop(), up(x)], dim=1))
        return self.head(x)[..., :height, :width]
