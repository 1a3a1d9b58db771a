"""UNet++ (Zhou et al., DLMIA 2018, "UNet++: A Nested U-Net Architecture for Medical Image
Segmentation").

The reference settings (widths 32..512, depth 4, bilinear up, 3 -> 1, no deep supervision) give
the parameter count of the public implementation (4uiiurz1/pytorch-nested-unet, ``NestedUNet``),
pinned in the tests.
"""

from __future__ import annotations

from typing import Literal

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


class NestedUNet(nn.Module):
    """UNet++: dense nested skip paths between encoder and decoder.

    Node ``X(i, j)`` (level ``i``, column ``j``) convolves the concatenation of every earlier node
    of its level, ``X(i, 0..j-1)``, and the up-sampled ``X(i+1, j-1)``. Up-sampling keeps the
    channel count (``bilinear``/``nearest`` resampling without conv, as in UNet++, or a
    ``transpose`` conv).

    Deep supervision puts a 1x1 head on each of ``X(0, 1..depth)``: in training the forward pass
    returns the list of all head outputs (the task averages their losses); in evaluation it
    returns the last head, or the mean of all heads with ``eval_output="mean"``.
    """

    #: gate the same-level inputs of every nested node (Nested Attention UNet)
    attention: bool = False

    def __init__(
        self,
        in_channels: int = 3,
        out_channels: int = 1,
        base_width: int = 32,
        depth: int = 4,
        upsample: UpsampleName = "bilinear",
        norm: NormName = "batch",
        dropout: float = 0.0,
        init: InitName = "default",
        deep_supervision: bool = False,
        eval_output: Literal["last", "mean"] = "last",
    ) -> None:
        super().__init__()
        widths = level_widths(base_width, depth)
        if eval_output not in ("last", "mean"):
            raise ValueError(f"model.eval_output must be last or mean, got {eval_output!r}.")
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.depth = depth
        self.deep_supervision = deep_supervision
        self.eval_output = eval_output

        self.pool = nn.MaxPool2d(2)
        nodes: dict[str, nn.Module] = {}
        ups: dict[str, nn.Module] = {}
        gates: dict[str, nn.Module] = {}
        for i in range(depth + 1):
            previous = in_channels if i == 0 else widths[i - 1]
            nodes[f"{i}_0"] = ConvBlock(previous, widths[i], norm, dropout)
        for j in range(1, depth + 1):
            for i in range(depth + 1 - j):
                key = f"{i}_{j}"
                ups[key] = UpBlock(widths[i + 1], widths[i + 1], upsample, norm, conv=False)
                nodes[key] = ConvBlock(widths[i] * j + widths[i + 1], widths[i], norm, dropout)
                if self.attention:
                    gates[key] = AttentionGate(widths[i + 1], widths[i], widths[i] // 2, norm)
        self.nodes = nn.ModuleDict(nodes)
        self.ups = nn.ModuleDict(ups)
        self.gates = nn.ModuleDict(gates) if self.attention else None
        head_count = depth if deep_supervision else 1
        self.heads = nn.ModuleList(
            nn.Conv2d(widths[0], out_channels, kernel_size=1) for _ in range(head_count)
        )
        init_weights(self, init)

    def forward(self, x: torch.Tensor) -> torch.Tensor | list[torch.Tensor]:
        x, (height, width) = pad_to_multiple(x, 2**self.depth)
        grid: dict[tuple[int, int], torch.Tensor] = {}
        for i in range(self.depth + 1):
            grid[i, 0] = self.nodes[f"{i}_0"](x if i == 0 else self.pool(grid[i - 1, 0]))
        for j in range(1, self.depth + 1):
            for i in range(self.depth + 1 - j):
                key = f"{i}_{j}"
                below = self.ups[key](grid[i + 1, j - 1])
                same_level = [grid[i, k] for k in range(j)]
                if self.gates is not None:
                    same_level = [self.gates[key](below, node) for node in same_level]
                grid[i, j] = self.nodes[key](torch.cat([*same_level, below], dim=1))

        def crop(t: torch.Tensor) -> torch.Tensor:
            return t[..., :height, :width]

        if not self.deep_supervision:
            return crop(self.heads[0](grid[0, self.depth]))
        outputs = [crop(head(grid[0, j + 1])) for j, head in enumerate(self.heads)]
        if self.training:
            return outputs
        return outputs[-1] if self.eval_output == "last" else torch.stack(outputs).mean(0)
