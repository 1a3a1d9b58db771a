"""Additive white Gaussian noise, made on the batch on the model's device.

Noise levels are on the 0-255 scale, as the denoising literature gives them (sigma 25 is
N(0, (25/255)^2) on images in [0, 1]). Training draws fresh noise every step; validation and
test draw the noise of image ``i`` from seed ``noise_seed + i``, so that every model and every
epoch sees the same noisy images.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from colorization.data.denoising.levels import HIGHEST, is_noise_level


def checked_sigma(sigma: float | Sequence[float], name: str = "task.sigma") -> tuple[float, float]:
    """One level ``s`` as ``(s, s)``, or a ``[low, high]`` range of levels (blind denoising)."""
    try:
        one = isinstance(sigma, int | float | str)
        levels = [float(sigma)] * 2 if one else [float(s) for s in sigma]  # type: ignore[arg-type]
    except (TypeError, ValueError):
        levels = []
    if len(levels) != 2 or not (is_noise_level(levels[0]) and levels[0] <= levels[1] <= HIGHEST):
        raise ValueError(
            f"{name} must be one noise level or a [low, high] range within [0, 255] (on the "
            f"0-255 scale, e.g. 25 or [0, 55]), got {sigma!r}."
        )
    return levels[0], levels[1]


def noisy_images(
    clean: torch.Tensor,
    sigma: tuple[float, float],
    seeds: Sequence[int] | None = None,
    clip: bool = False,
) -> torch.Tensor:
    """``clean`` (B, C, H, W) in [0, 1] plus Gaussian noise of a level drawn uniformly from
    ``sigma`` per image; with ``seeds``, image ``i``'s level and noise come from ``seeds[i]``
    (made on the CPU, then moved: the same numbers on every device), else from the global
    generator on the batch's device. ``clip``: the result clipped to [0, 1] (as a saved 8-bit
    image would be; the papers do not clip)."""
    low, high = sigma
    if seeds is None:
        levels = torch.empty(len(clean), 1, 1, 1, device=clean.device).uniform_(low, high)
        noise = torch.randn_like(clean, dtype=torch.float32) * (levels / 255)
    else:
        noise = torch.empty(clean.shape, dtype=torch.float32)
        for index, seed in enumerate(seeds):
            generator = torch.Generator().manual_seed(int(seed))
            level = low + (high - low) * torch.rand((), generator=generator).item()
            noise[index] = torch.randn(clean.shape[1:], generator=generator) * (level / 255)
        noise = noise.to(clean.device)
    noisy = clean.float() + noise
    return noisy.clamp(0, 1) if clip else noisy
