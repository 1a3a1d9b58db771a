"""Restore a photo of any size (flare removal) at full resolution, or super-resolve it, in
overlapping tiles (:mod:`colorization.inference.tiling`), as validation does."""

from __future__ import annotations

import torch

from colorization.inference.network import Network
from colorization.inference.tiling import tiled_apply

# The tasks whose networks map a whole photo to a photo, tile by tile, and their default tiles.
TILED_TASKS = {"flare": 256, "superres": 128}


class Restorer:
    """``network`` maps (N, 3, h, w) RGB in [0, 1] to RGB ``scale`` times larger (flare: 1;
    super-resolution: the spec's scale); tiles are the input's (low-resolution) pixels."""

    def __init__(
        self, network: Network, tile_size: int | None = None, tile_overlap: int | None = None
    ) -> None:
        spec = network.spec
        if spec.task not in TILED_TASKS:
            raise ValueError(
                f"This is a {spec.task} model, not a flare-removal or super-resolution one."
            )
        self.network = network
        self.scale = int(spec.scale or 1)
        self.tile_size = int(tile_size or spec.tile_size or TILED_TASKS[spec.task])
        if tile_overlap is None:
            tile_overlap = spec.tile_overlap or 0
        self.tile_overlap = int(tile_overlap)

    def __call__(self, image: torch.Tensor) -> torch.Tensor:
        """uint8 (3, H, W) in, uint8 (3, scale H, scale W) out."""
        restored = tiled_apply(
            self.network,
            image[None].float() / 255,
            self.tile_size,
            self.tile_overlap,
            scale=self.scale,
        )
        return (restored[0].clamp(0, 1) * 255).round().to(torch.uint8)
