"""Procedural lens flare and the compositing recipe of flare-removal training data.

No installable package ships flare images (Flare7K and the captured flares of Wu et al. are
downloads), so the built-in flare task draws its flares here, procedurally, in linear light:

- the **light source**: a small saturated core with a **glare halo** around it (a power-law
  falloff, like the scattering veil of real lenses);
- **radial streaks**: thin lines through the source at random angles (diffraction spikes), fading
  with distance;
- **ghosts**: discs, rings and aperture-shaped hexagons (internal reflections) placed along the
  line from the source through the optical centre (the image centre), each with its own tint;
- a random colour **tint**, position (the source may sit just outside the frame), size and
  intensity, and a slight Gaussian blur; values below 1/512 (invisible in 8 bits) are cut to
  exactly zero so the clean photo shows through untouched there.

:func:`composite` is the recipe of Wu et al. (ICCV 2021, "How to Train Neural Networks for Flare
Removal") and Flare7K: linearise the photo with a gamma drawn from U(1.8, 2.2), add the flare,
clip to [0, 1], re-apply the gamma. Everything random comes from a ``torch.Generator``, so a seed
gives the same flare every time (the fixed validation set relies on it).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torchvision.transforms.v2 import functional as TF

from colorization.data.draws import integer, uniform

FLARE_FLOOR = 1.0 / 512  # flare values below this (invisible in 8 bits) are set to zero


@dataclass(frozen=True)
class FlareStyle:
    """Ranges the random flares are drawn from; sizes are fractions of the image diagonal."""

    source_radius: tuple[float, float] = (0.006, 0.025)
    halo_radius: tuple[float, float] = (0.03, 0.12)
    halo_intensity: tuple[float, float] = (0.2, 0.8)
    streaks: tuple[int, int] = (0, 8)  # number of lines through the source (each two spikes)
    streak_length: tuple[float, float] = (0.05, 0.35)
    streak_intensity: tuple[float, float] = (0.1, 0.5)
    ghosts: tuple[int, int] = (1, 6)
    ghost_radius: tuple[float, float] = (0.01, 0.07)
    ghost_intensity: tuple[float, float] = (0.05, 0.3)
    saturation: tuple[float, float] = (0.0, 0.6)  # 0 = white light
    gain: tuple[float, float] = (0.5, 1.2)  # overall flare strength (Flare7K's range)
    blur_sigma: tuple[float, float] = (0.1, 1.5)  # pixels
    gamma: tuple[float, float] = (1.8, 2.2)


DEFAULT_STYLE = FlareStyle()


def _tint(generator: torch.Generator, saturation: tuple[float, float]) -> torch.Tensor:
    """A random light colour (3,), brightest channel 1: white mixed with a random hue."""
    hue = torch.rand(3, generator=generator)
    hue = hue / hue.max().clamp(min=1e-6)
    amount = uniform(generator, *saturation)
    return 1 - amount * (1 - hue)


def random_flare(
    height: int,
    width: int,
    generator: torch.Generator,
    style: FlareStyle = DEFAULT_STYLE,
) -> torch.Tensor:
    """A (3, height, width) float32 flare image in linear light, >= 0 (may exceed 1 at the
    source, which saturates when composited)."""
    diagonal = math.hypot(height, width)
    y, x = torch.meshgrid(
        torch.arange(height, dtype=torch.float32) + 0.5,
        torch.arange(width, dtype=torch.float32) + 0.5,
        indexing="ij",
    )
    # The light source, anywhere in the frame or just outside it.
    sx = uniform(generator, -0.1, 1.1) * width
    sy = uniform(generator, -0.1, 1.1) * height
    dx, dy = x - sx, y - sy
    distance = torch.sqrt(dx**2 + dy**2)
    color = _tint(generator, style.saturation)
    light = torch.zeros(height, width)

    source = uniform(generator, *style.source_radius) * diagonal
    light += 4.0 * torch.exp(-0.5 * (distance / source) ** 2)  # saturated core
    halo = uniform(generator, *style.halo_radius) * diagonal
    light += uniform(generator, *style.halo_intensity) * (1 + (distance / halo) ** 2) ** -1.5

    n_streaks = integer(generator, *style.streaks)
    first_angle = uniform(generator, 0, math.pi)
    for k in range(n_streaks):
        angle = first_angle + k * math.pi / n_streaks + uniform(generator, -0.1, 0.1)
        along = dx * math.cos(angle) + dy * math.sin(angle)
        across = -dx * math.sin(angle) + dy * math.cos(angle)
        thickness = uniform(generator, 0.6, 1.8) * max(1.0, diagonal / 400)
        length = uniform(generator, *style.streak_length) * diagonal
        strength = uniform(generator, *style.streak_intensity)
        light += strength * torch.exp(-0.5 * (across / thickness) ** 2 - along.abs() / length)
    flare = color[:, None, None] * light

    # Ghosts along the line from the source through the optical centre.
    cx, cy = width / 2, height / 2
    for _ in range(integer(generator, *style.ghosts)):
        t = uniform(generator, -1.4, 0.8)  # 1 = the source, 0 = the centre, < 0 = beyond it
        gx, gy = cx + t * (sx - cx), cy + t * (sy - cy)
        radius = uniform(generator, *style.ghost_radius) * diagonal
        shape = integer(generator, 0, 2)  # disc, ring, hexagon
        gdx, gdy = x - gx, y - gy
        if shape == 2:  # hexagon: the largest projection on three normals 60 degrees apart
            turn = uniform(generator, 0, math.pi / 3)
            reach = torch.stack(
                [
                    (
                        gdx * math.cos(turn + k * math.pi / 3)
                        + gdy * math.sin(turn + k * math.pi / 3)
                    ).abs()
                    for k in range(3)
                ]
            ).amax(0)
        else:
            reach = torch.sqrt(gdx**2 + gdy**2)
        edge = max(1.0, 0.08 * radius)
        ghost = torch.sigmoid((radius - reach) / edge)
        if shape == 1:
            ghost = ghost - torch.sigmoid((0.7 * radius - reach) / edge)
        strength = uniform(generator, *style.ghost_intensity)
        flare += strength * _tint(generator, style.saturation)[:, None, None] * ghost

    sigma = uniform(generator, *style.blur_sigma)
    kernel = 2 * math.ceil(3 * sigma) + 1
    flare = TF.gaussian_blur(flare[None], [kernel, kernel], [sigma, sigma])[0]
    flare = flare * uniform(generator, *style.gain)
    return torch.where(flare < FLARE_FLOOR, torch.zeros(()), flare)


def composite(clean: torch.Tensor, flare: torch.Tensor, gamma: float = 2.2) -> torch.Tensor:
    """``clip(clean ** gamma + flare, 0, 1) ** (1 / gamma)``: ``clean`` in [0, 1] (any float
    shape ending in (3, H, W)), ``flare`` linear light >= 0 of the same shape."""
    if gamma <= 0:
        raise ValueError(f"gamma must be > 0, got {gamma}.")
    linear = clean.clamp(0, 1) ** gamma
    return (linear + flare).clamp(0, 1) ** (1 / gamma)


def add_flare(
    clean: torch.Tensor, generator: torch.Generator, style: FlareStyle = DEFAULT_STYLE
) -> torch.Tensor:
    """A uint8 (3, H, W) photo with a random flare added (gamma drawn from ``style.gamma``)."""
    if clean.dtype != torch.uint8 or clean.dim() != 3 or clean.shape[0] != 3:
        raise ValueError(
            f"add_flare needs a uint8 (3, H, W) image, got {clean.dtype} {tuple(clean.shape)}."
        )
    flare = random_flare(clean.shape[1], clean.shape[2], generator, style)
    gamma = uniform(generator, *style.gamma)
    flared = composite(clean.float() / 255, flare, gamma)
    return (flared * 255).round().to(torch.uint8)
