"""Colorizations without learning: no colour, the hints' mean, Levin et al. 2004."""

from __future__ import annotations

import pytest
import torch

from colorization.data.colorization.baselines import hint_mean, levin, levin_weights, no_color
from colorization.data.colorization.hints import RandomPixelHints


def scene(height: int = 24, width: int = 31) -> tuple[torch.Tensor, torch.Tensor]:
    """Lightness with two flat regions and an edge; ab with a different colour in each."""
    lightness = torch.full((1, 1, height, width), -0.4)
    lightness[..., width // 2 :] = 0.5
    ab = torch.zeros(1, 2, height, width)
    ab[:, 0, :, : width // 2], ab[:, 1, :, width // 2 :] = 0.3, -0.4
    return lightness, ab


def test_levin_keeps_the_hint_colours_at_the_hinted_pixels() -> None:
    lightness, ab = scene()
    hint_ab, mask = RandomPixelHints([0.05])(ab, [torch.Generator().manual_seed(1)])
    result = levin(lightness, hint_ab, mask)
    assert result.shape == ab.shape
    assert torch.allclose(result * mask, hint_ab * mask, atol=1e-6)


def test_levin_is_exact_on_an_image_of_one_chroma() -> None:
    lightness = torch.rand(2, 1, 17, 23, generator=torch.Generator().manual_seed(0)) * 2 - 1
    ab = torch.tensor([0.2, -0.1]).view(1, 2, 1, 1).expand(2, 2, 17, 23)
    hint_ab, mask = RandomPixelHints([0.01])(ab, None)
    assert torch.allclose(levin(lightness, hint_ab, mask), ab, atol=1e-6)


def test_levin_spreads_colour_within_regions_not_across_edges() -> None:
    lightness, ab = scene()
    mask = torch.zeros(1, 1, 24, 31)
    mask[..., 12, 3] = mask[..., 12, 27] = 1
    result = levin(lightness, ab * mask, mask)
    assert torch.allclose(result[0, :, :, :12], ab[0, :, :, :12], atol=0.02)  # left region
    assert torch.allclose(result[0, :, :, 19:], ab[0, :, :, 19:], atol=0.02)  # right region


def test_the_affinities_are_rows_of_weights_that_sum_to_one() -> None:
    weights = levin_weights(torch.rand(5, 6).numpy())
    assert weights.shape == (30, 30)
    assert weights.sum(axis=1) == pytest.approx(1.0)
    assert weights.diagonal().max() == 0  # the pixel itself is not among its neighbours
    assert weights.getnnz(axis=1).min() == 3  # a corner has 3 neighbours


def test_without_hints_every_baseline_is_the_grey_image() -> None:
    lightness, ab = scene()
    none = torch.zeros(1, 1, 24, 31)
    for baseline in (no_color, hint_mean, levin):
        assert torch.equal(baseline(lightness, ab * none, none), torch.zeros_like(ab))


def test_hint_mean_gives_every_pixel_the_mean_hint() -> None:
    lightness, ab = scene()
    mask = torch.zeros(1, 1, 24, 31)
    mask[..., 0, 0] = mask[..., 0, 30] = 1
    result = hint_mean(lightness, ab * mask, mask)
    assert torch.allclose(result[0, :, 5, 5], torch.tensor([0.15, -0.2]))
