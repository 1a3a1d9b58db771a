"""colorization.data.flare.synth and examples: procedural flare and its compositing."""

from __future__ import annotations

import pytest
import torch
from helpers import photo

from colorization.data.flare.examples import example_grid
from colorization.data.flare.synth import FLARE_FLOOR, add_flare, composite, random_flare


# --- procedural flare and compositing ----------------------------------------------------
def test_flare_is_deterministic_with_a_seed_and_varies_without() -> None:
    first = random_flare(48, 64, torch.Generator().manual_seed(3))
    again = random_flare(48, 64, torch.Generator().manual_seed(3))
    other = random_flare(48, 64, torch.Generator().manual_seed(4))
    assert torch.equal(first, again)
    assert not torch.equal(first, other)
    assert first.shape == (3, 48, 64) and first.dtype == torch.float32


def test_flare_is_non_negative_light_with_exact_zeros_below_the_floor() -> None:
    flares = [random_flare(96, 128, torch.Generator().manual_seed(s)) for s in range(12)]
    for flare in flares:
        assert flare.min() >= 0 and flare.max() > 0.1  # some visible light in every flare
        visible = flare[flare > 0]
        assert visible.min() >= FLARE_FLOOR
    assert any((flare == 0).any() for flare in flares)


def test_composite_stays_in_range_and_only_adds_light() -> None:
    clean = torch.rand(3, 32, 32)
    flare = torch.rand(3, 32, 32) * 3  # brighter than white in places: must clip
    flared = composite(clean, flare, gamma=2.0)
    assert flared.min() >= 0 and flared.max() <= 1
    assert (flared >= clean - 1e-6).all()
    assert (flared[flare > 1] == 1).all()  # saturated where the flare alone exceeds white


@pytest.mark.parametrize("gamma", [1.8, 2.2])
def test_zero_flare_gives_back_the_clean_image(gamma: float) -> None:
    clean = torch.rand(3, 17, 23)
    assert torch.allclose(composite(clean, torch.zeros_like(clean), gamma), clean, atol=1e-6)


def test_add_flare_keeps_clean_pixels_where_the_flare_is_zero() -> None:
    clean = photo(96, 128)
    for seed in range(6):
        flared = add_flare(clean, torch.Generator().manual_seed(seed))
        flare = random_flare(96, 128, torch.Generator().manual_seed(seed))  # same draws
        untouched = (flare == 0).all(dim=0)
        assert torch.equal(flared[:, untouched], clean[:, untouched])
        assert (flared.int() >= clean.int() - 1).all()  # flare only adds light (8-bit rounding)
        assert (flared != clean).any()
    assert torch.equal(
        add_flare(clean, torch.Generator().manual_seed(1)),
        add_flare(clean, torch.Generator().manual_seed(1)),
    )


def test_add_flare_rejects_float_images() -> None:
    with pytest.raises(ValueError, match="uint8"):
        add_flare(torch.rand(3, 8, 8), torch.Generator())


def test_composite_rejects_a_bad_gamma() -> None:
    with pytest.raises(ValueError, match="gamma"):
        composite(torch.rand(3, 4, 4), torch.zeros(3, 4, 4), gamma=0)


def test_example_grid_shows_clean_and_flared_pairs() -> None:
    grid = example_grid(count=2, size=32)
    assert grid.shape == (3, 36, 4 * 34 + 2)
