"""Sparse user colour hints, sampled on a batch of ab images (vectorised, on the batch's device).

A sampler maps ab (B, 2, H, W) to ``(hint_ab, mask)``: ``mask`` is 1 at hinted pixels, ``hint_ab``
holds the hint colour there and 0 elsewhere. Passing one ``torch.Generator`` per image makes the
hints a pure function of those seeds (used for validation/test: seeded by the image index, so
PSNR is comparable across epochs, runs, models and devices). Seeded draws happen on the CPU and
are then moved to the batch's device, which keeps them identical on CPU and CUDA.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Sequence

import torch
import torch.nn.functional as F

Generators = Sequence[torch.Generator] | None


def _draw(
    kind: str,
    batch: int,
    shape: tuple[int, ...],
    generators: Generators,
    device: torch.device,
) -> torch.Tensor:
    """Uniform [0, 1) (``kind="rand"``) or standard normal (``"randn"``), (batch, *shape)."""
    sample = torch.rand if kind == "rand" else torch.randn
    if generators is None:
        return sample((batch, *shape), device=device)
    if len(generators) != batch:
        raise ValueError(f"Got {len(generators)} generators for a batch of {batch} images.")
    return torch.stack([sample(shape, generator=g) for g in generators]).to(device)


class HintSampler(ABC):
    """Base class: ``sampler(ab, generators=None) -> (hint_ab, mask)``."""

    @abstractmethod
    def __call__(
        self, ab: torch.Tensor, generators: Generators = None
    ) -> tuple[torch.Tensor, torch.Tensor]: ...


class NoHints(HintSampler):
    """No hints at all: automatic colorization (Zhang et al. 2016). The hint ab and the mask are
    zero; a network with ``task.in_channels=1`` is not given them at all."""

    def __call__(
        self, ab: torch.Tensor, generators: Generators = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        return torch.zeros_like(ab), torch.zeros_like(ab[:, :1])


class RandomPixelHints(HintSampler):
    """Single-pixel hints at uniformly random positions, as in the hint-density
    experiments of hint-based colorization studies (1, 3 and 5 % of the pixels).

    Each image draws a ratio from ``ratios`` (default 1 %, 3 % or 5 % of its pixels) and gets
    exactly ``round(ratio * H * W)`` (at least one) hinted pixels carrying their true ab; a ratio
    of 0 gives no hints (the "grey input" setting of an evaluation).
    """

    def __init__(self, ratios: Sequence[float] = (0.01, 0.03, 0.05)) -> None:
        ratios = tuple(float(r) for r in ratios)
        if not ratios or any(not 0.0 <= r <= 1.0 for r in ratios):
            raise ValueError(
                f"task.hints.ratios must be a non-empty list of fractions in [0, 1], got {ratios}."
            )
        self.ratios = torch.tensor(ratios)

    def __call__(
        self, ab: torch.Tensor, generators: Generators = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        batch, _, height, width = ab.shape
        pixels = height * width
        choice = _draw("rand", batch, (), generators, ab.device)
        scores = _draw("rand", batch, (pixels,), generators, ab.device)
        ratio = self.ratios.to(ab.device)[(choice * len(self.ratios)).long()]
        counts = (ratio * pixels).round().long().clamp(1, pixels) * (ratio > 0)
        # The k largest scores of each image mark its hints: exactly k per image, no Python loop.
        kth = (counts[:, None] - 1).clamp(min=0)
        threshold = scores.sort(dim=1, descending=True).values.gather(1, kth)
        mask = (scores >= threshold) & (counts[:, None] > 0)
        mask = mask.view(batch, 1, height, width).to(ab.dtype)
        return ab * mask, mask


class GeometricPatchHints(HintSampler):
    """Patch hints as in Zhang et al. 2017, "Real-Time User-Guided Image Colorization".

    The number of hints is geometric (``P(n) = (1 - p)^n p``, mean ``(1 - p) / p`` = 7 for
    p = 1/8), capped at ``max_points``; each hint is a square patch with a side drawn from
    ``patch_sizes`` that carries the patch's mean ab. Locations are ``normal`` around the centre
    (std = a quarter of the free range, clipped) or ``uniform``. Later patches overwrite earlier
    ones where they overlap, as in the reference. ``points`` fixes the number of hints of every
    image instead (the "PSNR vs number of points" evaluation of that paper).
    """

    def __init__(
        self,
        p: float = 0.125,
        patch_sizes: Sequence[int] = (1, 2, 3, 4, 5, 6, 7, 8, 9),
        location: str = "normal",
        max_points: int = 64,
        points: int | None = None,
    ) -> None:
        if not 0.0 < p < 1.0:
            raise ValueError(f"task.hints.p must be in (0, 1), got {p}.")
        if not patch_sizes or min(patch_sizes) < 1:
            raise ValueError(f"task.hints.patch_sizes must be positive, got {patch_sizes}.")
        if location not in ("normal", "uniform"):
            raise ValueError(f"task.hints.location must be normal or uniform, got {location!r}.")
        if max_points < 1:
            raise ValueError(f"task.hints.max_points must be >= 1, got {max_points}.")
        if points is not None and not 0 <= points <= max_points:
            raise ValueError(f"task.hints.points must be in [0, max_points], got {points}.")
        self.p = p
        self.points = points
        self.patch_sizes = torch.tensor([int(s) for s in patch_sizes])
        self.location = location
        self.max_points = max_points

    def __call__(
        self, ab: torch.Tensor, generators: Generators = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        batch, channels, height, width = ab.shape
        device = ab.device
        slots = self.max_points
        # Fixed-size draws per image (then sliced) keep seeded hints independent of the batch.
        u_count = _draw("rand", batch, (), generators, device)
        u_size = _draw("rand", batch, (slots,), generators, device)
        location_kind = "randn" if self.location == "normal" else "rand"
        u_y = _draw(location_kind, batch, (slots,), generators, device)
        u_x = _draw(location_kind, batch, (slots,), generators, device)

        counts = torch.floor(torch.log1p(-u_count) / math.log1p(-self.p)).long()
        counts = counts.clamp(0, slots)
        if self.points is not None:
            counts = torch.full_like(counts, self.points)
        used = max(int(counts.max()), 1)
        sizes = self.patch_sizes.to(device)[(u_size[:, :used] * len(self.patch_sizes)).long()]
        sizes = torch.minimum(sizes, torch.tensor(min(height, width), device=device))
        y0 = self._corner(u_y[:, :used], height - sizes + 1)
        x0 = self._corner(u_x[:, :used], width - sizes + 1)
        valid = torch.arange(used, device=device)[None, :] < counts[:, None]

        # Patch means from an integral image: O(1) per patch whatever its size.
        integral = F.pad(ab.float().cumsum(2).cumsum(3), (1, 0, 1, 0))
        flat = integral.flatten(2)  # (B, C, (H+1)*(W+1))

        def corner(ys: torch.Tensor, xs: torch.Tensor) -> torch.Tensor:
            index = (ys * (width + 1) + xs)[:, None, :].expand(-1, channels, -1)
            return flat.gather(2, index)

        y1, x1 = y0 + sizes, x0 + sizes
        sums = corner(y1, x1) - corner(y0, x1) - corner(y1, x0) + corner(y0, x0)
        means = sums / (sizes * sizes)[:, None, :].float()  # (B, C, K)

        rows = torch.arange(height, device=device)
        cols = torch.arange(width, device=device)
        in_y = (rows[None, None] >= y0[..., None]) & (rows[None, None] < y1[..., None])
        in_x = (cols[None, None] >= x0[..., None]) & (cols[None, None] < x1[..., None])
        inside = in_y[..., :, None] & in_x[..., None, :] & valid[..., None, None]  # (B,K,H,W)
        rank = torch.arange(1, used + 1, device=device, dtype=torch.int32)[None, :, None, None]
        winner_rank = (inside * rank).amax(dim=1)  # last patch covering each pixel, 0 if none
        mask = (winner_rank > 0)[:, None]
        winner = (winner_rank.long() - 1).clamp(min=0).view(batch, 1, -1)
        hint_ab = means.gather(2, winner.expand(-1, channels, -1)).view(ab.shape)
        mask = mask.to(ab.dtype)
        return hint_ab.to(ab.dtype) * mask, mask

    def _corner(self, draws: torch.Tensor, free: torch.Tensor) -> torch.Tensor:
        """Top-left coordinate in [0, free - 1] from uniform or standard-normal draws."""
        centre_spread = free / 2.0 + draws * (free / 4.0)
        position = draws * free if self.location == "uniform" else centre_spread
        return torch.minimum(position.floor().clamp(min=0), free - 1).long()
