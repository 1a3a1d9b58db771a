"""Restore a photo of any size at full resolution, or super-resolve it, in overlapping tiles
(:mod:`colorization.inference.tiling`), as validation does: for every task whose network maps a
photo to a photo (its spec has ``tile_size``, and ``scale`` when the output is larger)."""

from __future__ import annotations

import torch

from colorization.inference.network import Network
from colorization.inference.tiling import tiled_apply


class Restorer:
    """``network`` maps (N, 3, h, w) RGB in [0, 1] to RGB ``scale`` times larger (the spec's
    ``scale``, else 1); tiles are the input's (low-resolution) pixels: ``tile_size`` and
    ``tile_overlap`` given, else the spec's."""

    def __init__(
        self, network: Network, tile_size: int | None = None, tile_overlap: int | None = None
    ) -> None:
        spec = network.spec
        self.network = network
        self.scale = int(spec.setting("scale", 1))
        self.tile_size = int(tile_size or spec.setting("tile_size", 0))
        if self.tile_size <= 0:
            raise ValueError(f"This {spec.task} model's spec has no tile size: give --tile-size.")
        self.tile_overlap = int(
            spec.setting("tile_overlap", 0) if tile_overlap is None else tile_overlap
        )

    def restore(self, images: torch.Tensor) -> torch.Tensor:
        """float (N, 3, H, W) in (RGB in [0, 1], values beyond it allowed: a noisy photo), float
        (N, 3, scale H, scale W) in [0, 1] out."""
        restored = tiled_apply(
            self.network, images, self.tile_size, self.tile_overlap, scale=self.scale
        )
        return restored.clamp(0, 1)

    def __call__(self, image: torch.Tensor) -> torch.Tensor:
        """uint8 (3, H, W) in, uint8 (3, scale H, scale W) out."""
        return (self.restore(image[None].float() / 255)[0] * 255).round().to(torch.uint8)
