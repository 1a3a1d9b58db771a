"""The user-guided colorization network of Zhang, Zhu, Isola, Geng, Lin, Yu & Efros,
"Real-Time User-Guided Image Colorization with Learned Deep Priors" (SIGGRAPH 2017),
"siggraph17" in the authors' repository richzhang/colorization.

Input: L, the hints' ab and the hint mask (4 channels). An encoder of seven blocks (BatchNorm
ending each): blocks 2-4 start from every other pixel of the previous block's output (the
published down-sampling), blocks 5-6 are dilated (2). A decoder of three levels, each doubling
the resolution with a 4x4 transposed convolution and adding a 3x3 convolution of the encoder
block of that resolution (blocks 3, 2, 1: the shortcuts), then convolving. A 1x1 convolution and
tanh regress ab (other output counts, such as the 313 bin scores of ``loss=ab_classification``,
stay unbounded logits). The published module also has a classification side head (529 classes:
ab bins of a grid of 10) on the first decoder level, used with a classification loss; here it
is optional (``side_classes``) and its scores come from :meth:`SIGGRAPH17.side_logits`.

At ``base_width=64``, 4 -> 2 channels, it has the published widths and parameter count
(34,051,074; 34,187,027 with the 529-class side head); ``tests/unit/models/test_zhang.py`` loads
the published layer layout by name and checks the outputs agree.
"""

from __future__ import annotations

import torch
from torch import nn

from colorization.models.blocks import (
    NormName,
    UpsampleName,
    conv_relu,
    conv_stack,
    level_widths,
    make_norm,
    pad_to_multiple,
    upsample_x2,
)
from colorization.models.init import InitName, init_weights


class SIGGRAPH17(nn.Module):
    """Zhang et al. 2017's user-guided network (see the module docstring).

    Args:
        in_channels / out_channels: 4 (L, hint ab, mask) -> 2 (ab) as published.
        base_width: width of block 1 (64 published); blocks 2, 3 and 4-7 have 2, 4 and 8 times
            as many channels; the decoder levels 4, 2 and 2 times.
        side_classes: classes of the classification side head (529 published), or ``None``.
        upsample: the decoder's up-sampling, ``transpose`` (published), ``nearest``, ``bilinear``.
        norm: the normalisation ending the encoder blocks and two decoder levels (``batch``).
        dropout: spatial dropout after encoder blocks 5-7 (0: none, as published).
        init: weight init, ``default`` (PyTorch's), ``normal``, ``kaiming`` or ``xavier``.
    """

    def __init__(
        self,
        in_channels: int = 4,
        out_channels: int = 2,
        base_width: int = 64,
        side_classes: int | None = None,
        upsample: UpsampleName = "transpose",
        norm: NormName = "batch",
        dropout: float = 0.0,
        init: InitName = "default",
    ) -> None:
        super().__init__()
        self.in_channels = in_channels
        self.out_channels = out_channels
        w1, w2, w3, w4 = level_widths(base_width, depth=3)  # checks base_width
        layouts = [  # (input width, width, convolutions, dilation)
            (in_channels, w1, 2, 1),
            (w1, w2, 2, 1),
            (w2, w3, 3, 1),
            (w3, w4, 3, 1),
            (w4, w4, 3, 2),
            (w4, w4, 3, 2),
            (w4, w4, 3, 1),
        ]
        self.encoder = nn.ModuleList(
            conv_stack(a, b, convs, norm, dilation, dropout=dropout if index >= 4 else 0.0)
            for index, (a, b, convs, dilation) in enumerate(layouts)
        )
        # Decoder levels at 1/4, 1/2 and full resolution: (input width, width, shortcut width).
        levels = [(w4, w3, w3), (w3, w2, w2), (w2, w2, w1)]
        self.ups = nn.ModuleList(upsample_x2(a, b, upsample) for a, b, _ in levels)
        self.shortcuts = nn.ModuleList(nn.Conv2d(s, b, 3, 1, 1) for _, b, s in levels)
        self.decoders = nn.ModuleList(
            [
                nn.Sequential(
                    nn.ReLU(inplace=True),
                    *conv_relu(w3, w3),
                    *conv_relu(w3, w3),
                    make_norm(norm, w3),
                ),
                nn.Sequential(nn.ReLU(inplace=True), *conv_relu(w2, w2), make_norm(norm, w2)),
                nn.Sequential(nn.ReLU(inplace=True), nn.Conv2d(w2, w2, 3, 1, 1), nn.LeakyReLU(0.2)),
            ]
        )
        self.side_head = nn.Conv2d(w3, side_classes, 1) if side_classes else None
        bounded = nn.Tanh() if out_channels == 2 else nn.Identity()  # ab regression: tanh
        self.head = nn.Sequential(nn.Conv2d(w2, out_channels, 1), bounded)
        init_weights(self, init)

    def _features(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The last decoder level's features and the first's (where the side head reads)."""
        skips = []
        for index, block in enumerate(self.encoder):
            if 1 <= index <= 3:
                x = x[..., ::2, ::2]  # the published down-sampling: every other pixel
            x = block(x)
            if index < 3:
                skips.append(x)
        first = None
        for up, shortcut, decoder in zip(self.ups, self.shortcuts, self.decoders, strict=True):
            x = decoder(up(x) + shortcut(skips.pop()))
            first = x if first is None else first
        return x, first

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x, (height, width) = pad_to_multiple(x, 8)
        features, _ = self._features(x)
        return self.head(features)[..., :height, :width]

    def side_logits(self, x: torch.Tensor) -> torch.Tensor:
        """The side head's class scores, at a quarter of the (padded) input resolution."""
        if self.side_head is None:
            raise ValueError("This network has no side head: set model.side_classes (529).")
        x, _ = pad_to_multiple(x, 8)
        return self.side_head(self._features(x)[1])
