"""U-Net (Ronneberger et al., 2015) and the hooks its variants override.

With ``base_width=64, depth=4, upsample="nearest"`` and 3 -> 1 channels the parameter count equals
the widely used public reference implementation (34,527,041).

Variants change one thing each by overriding a hook: the conv ``block`` (R2U-Net: recurrent
residual blocks), the ``stem``/``down`` path (ResUNet: residual units with stride 2), the
``bottleneck`` (CUNet: dilated convolutions) or ``attention`` on the skips (Attention U-Net).
"""

from __future__ import annotations

import torch
from torch import nn

from colorization.models.blocks import (
    AttentionGate,
    ConvBlock,
    NormName,
    UpBlock,
    UpsampleName,
    level_widths,
    pad_to_multiple,
)
from colorization.models.init import InitName, init_weights


class UNet(nn.Module):
    """Encoder-decoder with skip connections; any input size (padded inside, cropped back).

    Args:
        in_channels: input channels (colorization: 4 = L + hint ab + hint mask).
        out_channels: output channels (colorization: 2 = ab). The head has no activation.
        base_width: channels at the first level; level ``i`` has ``base_width * 2**i``.
        depth: number of 2x down-samplings.
        upsample: ``nearest`` or ``bilinear`` (each + conv), or ``transpose``; ``None`` takes
            the variant's ``default_upsample``.
        norm: ``batch``, ``instance``, ``group`` or ``none``.
        dropout: spatial dropout after each conv block (0 disables it).
        init: weight init, ``default`` (PyTorch's), ``normal``, ``kaiming`` or ``xavier``.
    """

    #: gate every skip connection with an :class:`AttentionGate` (Attention U-Net)
    attention: bool = False
    #: up-sampling used when ``upsample`` is not given
    default_upsample: UpsampleName = "nearest"

    def __init__(
        self,
        in_channels: int = 3,
        out_channels: int = 1,
        base_width: int = 64,
        depth: int = 4,
        upsample: UpsampleName | None = None,
        norm: NormName = "batch",
        dropout: float = 0.0,
        init: InitName = "default",
    ) -> None:
        super().__init__()
        widths = level_widths(base_width, depth)
        upsample = upsample or self.default_upsample
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.depth = depth
        self.norm = norm
        self.dropout = dropout

        self.encoders = nn.ModuleList([self.stem(in_channels, widths[0])])
        self.encoders.extend(self.down(widths[i - 1], widths[i]) for i in range(1, depth + 1))
        self.bottleneck = self.make_bottleneck(widths[depth])
        levels = range(depth, 0, -1)  # decoder order: deepest first
        self.ups = nn.ModuleList(UpBlock(widths[i], widths[i - 1], upsample, norm) for i in levels)
        self.gates = (
            nn.ModuleList(
                AttentionGate(widths[i - 1], widths[i - 1], widths[i - 1] // 2, norm)
                for i in levels
            )
            if self.attention
            else None
        )
        self.decoders = nn.ModuleList(self.block(2 * widths[i - 1], widths[i - 1]) for i in levels)
        self.head = nn.Conv2d(widths[0], out_channels, kernel_size=1)
        init_weights(self, init)

    # --- hooks for variants ----------------------------------------------------------------
    def block(self, in_channels: int, out_channels: int) -> nn.Module:
        """The conv block used at every level of encoder and decoder."""
        return ConvBlock(in_channels, out_channels, self.norm, self.dropout)

    def stem(self, in_channels: int, out_channels: int) -> nn.Module:
        """The first encoder level, at full resolution."""
        return self.block(in_channels, out_channels)

    def down(self, in_channels: int, out_channels: int) -> nn.Module:
        """One encoder level: halve the resolution, then convolve."""
        return nn.Sequential(nn.MaxPool2d(2), self.block(in_channels, out_channels))

    def make_bottleneck(self, channels: int) -> nn.Module:
        """Extra processing at the lowest resolution (none in U-Net)."""
        return nn.Identity()

    # --- forward ---------------------------------------------------------------------------
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x, (height, width) = pad_to_multiple(x, 2**self.depth)
        skips = []
        for encoder in self.encoders:
            x = encoder(x)
            skips.append(x)
        x = self.bottleneck(skips.pop())
        for index, (up, decoder) in enumerate(zip(self.ups, self.decoders, strict=True)):
            upsampled = up(x)
            skip = skips.pop()
            if self.gates is not None:
                skip = self.gates[index](upsampled, skip)
            x = decoder(torch.cat([skip, upsampled], dim=1))
        return self.head(x)[..., :height, :width]
