"""Restore a photo of any size (flare removal) at full resolution, in overlapping tiles
(:mod:`colorization.inference.tiling`), as validation does."""

from __future__ import annotations

import torch

from colorization.inference.network import Network, checked_spec
from colorization.inference.tiling import tiled_apply


class Restorer:
    """``network`` maps (N, 3, h, w) RGB in [0, 1] to the restored RGB."""

    def __init__(
        self, network: Network, tile_size: int | None = None, tile_overlap: int | None = None
    ) -> None:
        spec = checked_spec(network, "flare", "flare-removal")
        self.network = network
        self.tile_size = int(tile_size or spec.tile_size or 256)
        if tile_overlap is None:
            tile_overlap = spec.tile_overlap or 0
        self.tile_overlap = int(tile_overlap)

    def __call__(self, image: torch.Tensor) -> torch.Tensor:
        """uint8 (3, H, W) in, uint8 (3, H, W) out."""
        restored = tiled_apply(
            self.network, image[None].float() / 255, self.tile_size, self.tile_overlap
        )
        return (restored[0].clamp(0, 1) * 255).round().to(torch.uint8)
