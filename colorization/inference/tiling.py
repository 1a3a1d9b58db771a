"""Run a network over an image of any size in overlapping tiles, blended back together.

Full-resolution photos (e.g. 3264 x 2448 in the flare competition) do not fit through a UNet at
once. Tiles of ``tile`` x ``tile`` pixels overlap by ``overlap``; each tile's output is weighted
by a window that falls off linearly towards the tile's edges (where a convolutional network sees
the least context), and the weighted outputs are divided by the summed weights. Every weight is
positive, so each pixel is a convex combination of the tiles covering it: a network that returns
its input gives back the image itself (up to float rounding), at any size, odd ones included.
"""

from __future__ import annotations

from collections.abc import Callable

import torch


def check_tiles(tile: int, overlap: int, prefix: str = "") -> None:
    """Tiles of at least one pixel that overlap by less than their size; ``prefix`` names the
    settings in the message (``task.`` for a task's ``tile_size`` / ``tile_overlap``)."""
    if tile < 1 or not 0 <= overlap < tile:
        raise ValueError(
            f"Need {prefix}tile_size >= 1 and 0 <= {prefix}tile_overlap < {prefix}tile_size, "
            f"got {tile} and {overlap}."
        )


def tile_starts(length: int, tile: int, overlap: int) -> list[int]:
    """Start offsets of tiles covering ``length``: a stride of ``tile - overlap``, the last tile
    flush with the end. One tile (start 0) if ``length <= tile``."""
    check_tiles(tile, overlap)
    if length <= tile:
        return [0]
    starts = list(range(0, length - tile, tile - overlap))
    return [*starts, length - tile]


def blend_window(height: int, width: int, overlap: int) -> torch.Tensor:
    """(height, width) weights: 1 inside, rising linearly over ``overlap`` pixels from each
    edge (a product of two ramps, each never below ``1 / (overlap + 1)``)."""

    def ramp(length: int) -> torch.Tensor:
        position = torch.arange(length, dtype=torch.float32)
        distance = torch.minimum(position, length - 1 - position)  # to the nearer edge
        return ((distance + 1) / (overlap + 1)).clamp(max=1.0)

    return ramp(height)[:, None] * ramp(width)[None, :]


@torch.no_grad()
def tiled_apply(
    fn: Callable[[torch.Tensor], torch.Tensor],
    image: torch.Tensor,
    tile: int,
    overlap: int,
    tiles_per_batch: int = 4,
    scale: int = 1,
) -> torch.Tensor:
    """``fn`` applied to ``image`` (B, C, H, W) tile by tile; returns (B, C_out, sH, sW) float32.

    ``fn`` must return each tile at ``scale`` times its size (1: the same size; a
    super-resolution network: its factor); tiles and their overlaps are blended at the output's
    resolution. Tiles go through ``fn`` in batches of ``tiles_per_batch`` (times B images),
    which bounds the memory needed.
    """
    batch, _, height, width = image.shape
    tile_h, tile_w = min(tile, height), min(tile, width)
    boxes = [
        (top, left)
        for top in tile_starts(height, tile_h, min(overlap, tile_h - 1))
        for left in tile_starts(width, tile_w, min(overlap, tile_w - 1))
    ]
    out_h, out_w = tile_h * scale, tile_w * scale
    window = blend_window(out_h, out_w, overlap * scale).to(image.device)
    output: torch.Tensor | None = None
    weights = torch.zeros(height * scale, width * scale, device=image.device)
    for first in range(0, len(boxes), tiles_per_batch):
        chunk = boxes[first : first + tiles_per_batch]
        crops = torch.cat([image[..., y : y + tile_h, x : x + tile_w] for y, x in chunk])
        results = fn(crops).float()
        if results.shape[-2:] != (out_h, out_w):
            raise ValueError(
                f"Tiled inference needs a network that returns {scale}x its input's size; it "
                f"turned {tuple(crops.shape[-2:])} into {tuple(results.shape[-2:])}."
            )
        if output is None:
            shape = (batch, results.shape[1], height * scale, width * scale)
            output = torch.zeros(shape, device=image.device)
        for (top, left), result in zip(chunk, results.split(batch), strict=True):
            y, x = top * scale, left * scale
            output[..., y : y + out_h, x : x + out_w] += result * window
            weights[y : y + out_h, x : x + out_w] += window
    return output / weights
