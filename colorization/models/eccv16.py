"""The automatic colorization network of Zhang, Isola & Efros, "Colorful Image Colorization"
(ECCV 2016), "eccv16" in the authors' repository richzhang/colorization.

Eight convolution blocks: blocks 1-3 halve the resolution with their last (stride-2)
convolution, blocks 5-6 are dilated (2), BatchNorm ends blocks 1-7; block 8 doubles the
resolution (a 4x4 transposed convolution) and ends in a 1x1 convolution to a distribution over
313 quantised ab bins at a quarter of the input resolution. The distribution (softmax) is
decoded to ab by a bias-free 1x1 convolution (its weights are the bins' ab values when loaded
from the published model) and up-sampled 4x bilinearly. With ``out_channels`` equal to ``bins``
the network returns the bin scores themselves (logits, at a quarter of the resolution), as
``loss=ab_classification`` trains and decodes them.

At ``base_width=64``, ``in_channels=1``, ``out_channels=2`` it has the published layer widths
and parameter count (32,236,011; ``tests/unit/models/test_zhang.py`` also loads the published
layer layout by name and checks the outputs agree). Unlike the reference, the network does not
normalise L itself: the task feeds it normalised inputs, so ``in_channels`` can also include
hints.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from colorization.models.blocks import (
    NormName,
    UpsampleName,
    conv_relu,
    conv_stack,
    level_widths,
    pad_to_multiple,
    upsample_x2,
)
from colorization.models.init import InitName, init_weights

BINS = 313  # in-gamut ab bins of Zhang et al. 2016 (a grid of 10 over ImageNet's colours)


class ECCV16(nn.Module):
    """Zhang et al. 2016's colorization network (see the module docstring).

    Args:
        in_channels / out_channels: 1 (L) -> 2 (ab) as published; more inputs (hints, mask) work.
            ``out_channels == bins``: the bin scores (logits) at a quarter of the resolution.
        base_width: width of block 1 (64 published); blocks 2, 3, 4-7 and 8 have 2, 4, 8 and 4
            times as many channels.
        bins: size of the ab distribution (313 published).
        upsample: block 8's up-sampling, ``transpose`` (published), ``nearest`` or ``bilinear``.
        norm: the normalisation ending blocks 1-7 (``batch`` published).
        dropout: spatial dropout after blocks 5-7 (0: none, as published).
        init: weight init, ``default`` (PyTorch's), ``normal``, ``kaiming`` or ``xavier``.
    """

    def __init__(
        self,
        in_channels: int = 1,
        out_channels: int = 2,
        base_width: int = 64,
        bins: int = BINS,
        upsample: UpsampleName = "transpose",
        norm: NormName = "batch",
        dropout: float = 0.0,
        init: InitName = "default",
    ) -> None:
        super().__init__()
        if bins < 2:
            raise ValueError(f"model.bins must be >= 2, got {bins}.")
        self.in_channels = in_channels
        self.out_channels = out_channels
        w1, w2, w3, w4 = level_widths(base_width, depth=3)  # checks base_width
        layouts = [  # (input width, width, convolutions, dilation, stride of the last one)
            (in_channels, w1, 2, 1, 2),
            (w1, w2, 2, 1, 2),
            (w2, w3, 3, 1, 2),
            (w3, w4, 3, 1, 1),
            (w4, w4, 3, 2, 1),
            (w4, w4, 3, 2, 1),
            (w4, w4, 3, 1, 1),
        ]
        self.blocks = nn.ModuleList(
            conv_stack(a, b, convs, norm, dilation, stride, dropout if index >= 4 else 0.0)
            for index, (a, b, convs, dilation, stride) in enumerate(layouts)
        )
        self.blocks.append(
            nn.Sequential(
                upsample_x2(w4, w3, upsample),
                nn.ReLU(inplace=True),
                *conv_relu(w3, w3),
                *conv_relu(w3, w3),
                nn.Conv2d(w3, bins, kernel_size=1),
            )
        )
        # The distribution over bins -> ab: a bias-free 1x1 convolution (none when the scores
        # themselves are the output).
        self.decode = None if out_channels == bins else nn.Conv2d(bins, out_channels, 1, bias=False)
        # Input pixels per output pixel: the scores come at a quarter of the resolution.
        self.output_stride = 4 if self.decode is None else 1
        init_weights(self, init)

    def bin_logits(self, x: torch.Tensor) -> torch.Tensor:
        """The scores over ab bins at a quarter of the (padded) input resolution."""
        for block in self.blocks:
            x = block(x)
        return x

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x, (height, width) = pad_to_multiple(x, 8)
        logits = self.bin_logits(x)
        if self.decode is None:
            # (n + 3) // 4, not -(-n // 4): ONNX exports floor division of negatives as truncation.
            return logits[..., : (height + 3) // 4, : (width + 3) // 4]
        ab = self.decode(logits.softmax(dim=1))
        ab = F.interpolate(ab, scale_factor=4, mode="bilinear", align_corners=False)
        return ab[..., :height, :width]
