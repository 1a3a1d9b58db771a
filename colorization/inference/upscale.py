"""Super-resolve a photo of any size, in overlapping low-resolution tiles whose outputs are
``scale`` times larger (:mod:`colorization.inference.tiling`), as validation does."""

from __future__ import annotations

import torch

from colorization.inference.network import Network, checked_spec
from colorization.inference.tiling import tiled_apply


class Upscaler:
    """``network`` maps (N, 3, h, w) RGB in [0, 1] to (N, 3, sh, sw)."""

    def __init__(
        self, network: Network, tile_size: int | None = None, tile_overlap: int | None = None
    ) -> None:
        spec = checked_spec(network, "superres", "super-resolution")
        self.network = network
        self.scale = int(spec.scale or 2)
        self.tile_size = int(tile_size or spec.tile_size or 128)
        if tile_overlap is None:
            tile_overlap = spec.tile_overlap or 0
        self.tile_overlap = int(tile_overlap)

    def __call__(self, image: torch.Tensor) -> torch.Tensor:
        """uint8 (3, H, W) in, uint8 (3, sH, sW) out."""
        upscaled = tiled_apply(
            self.network,
            image[None].float() / 255,
            self.tile_size,
            self.tile_overlap,
            scale=self.scale,
        )
        return (upscaled[0].clamp(0, 1) * 255).round().to(torch.uint8)
