"""Intervals and paired tests on made-up per-image scores (no training): a known shift is found,
two seeds of one configuration tie, the intervals cover the truth at about the stated rate."""

from __future__ import annotations

import numpy as np
import pytest

from colorization.report.statistics import (
    compare_paired,
    decimals_for,
    holm,
    t_interval,
    wilcoxon_p,
)


def scores(rng: np.random.Generator, images: int, seeds: int, shift: float, seed_sd: float = 0.0):
    """(seeds, images) PSNR-like scores: each image's difficulty, the configuration's shift,
    a per-seed offset and per-image noise."""
    difficulty = np.linspace(18, 30, images)
    offsets = rng.normal(0, seed_sd, size=(seeds, 1))
    return difficulty + shift + offsets + rng.normal(0, 0.5, size=(seeds, images))


def test_a_known_shift_is_called_better_or_worse() -> None:
    rng = np.random.default_rng(0)
    a, b = scores(rng, 32, 3, shift=0.6), scores(rng, 32, 3, shift=0.0)
    comparison = compare_paired(a, b)
    assert comparison.difference == pytest.approx(0.6, abs=0.25)
    assert comparison.low < comparison.difference < comparison.high and comparison.low > 0
    assert comparison.verdict(comparison.p_value, maximize=True) == "better"
    assert comparison.verdict(comparison.p_value, maximize=False) == "worse"  # a loss: lower wins
    assert compare_paired(b, a).verdict(comparison.p_value, maximize=True) == "worse"
    assert (comparison.images, comparison.seeds_a, comparison.seeds_b) == (32, 3, 3)


def test_two_seeds_of_one_configuration_tie() -> None:
    rng = np.random.default_rng(1)
    comparison = compare_paired(scores(rng, 32, 1, 0.0), scores(rng, 32, 1, 0.0))
    assert comparison.low < 0 < comparison.high
    assert comparison.verdict(comparison.p_value, maximize=True) == "tie"
    # ... and are called different no more often than the test's level says
    called = 0
    for _ in range(200):
        c = compare_paired(scores(rng, 24, 1, 0.0), scores(rng, 24, 1, 0.0), resamples=500)
        called += c.verdict(c.p_value, maximize=True) != "tie"
    assert called / 200 <= 0.08


def test_seed_to_seed_spread_widens_the_interval() -> None:
    """Where seeds move a model by more than the images do, resampling seeds is what keeps two
    configurations of equal mean from being called apart."""
    rng = np.random.default_rng(2)
    a = scores(rng, 32, 3, 0.0, seed_sd=1.0)
    b = scores(rng, 32, 3, 0.0, seed_sd=1.0)
    with_seeds = compare_paired(a, b)
    images_only = compare_paired(a.mean(0, keepdims=True), b.mean(0, keepdims=True))
    assert with_seeds.high - with_seeds.low > 2 * (images_only.high - images_only.low)


def test_the_bootstrap_interval_covers_a_known_mean_at_about_95_percent() -> None:
    rng = np.random.default_rng(3)
    covered = 0
    for _ in range(300):
        a, b = scores(rng, 40, 1, 0.3), scores(rng, 40, 1, 0.0)
        c = compare_paired(a, b, resamples=800, seed=int(rng.integers(1 << 30)))
        covered += c.low <= 0.3 <= c.high
    assert 0.90 <= covered / 300 <= 0.98


def test_the_t_interval_over_seeds_covers_the_mean_at_about_95_percent() -> None:
    rng = np.random.default_rng(4)
    covered = 0
    for _ in range(2000):
        values = rng.normal(27.0, 0.6, size=3)
        covered += abs(values.mean() - 27.0) <= t_interval(values)
    assert 0.93 <= covered / 2000 <= 0.97
    assert t_interval([27.0]) is None and t_interval([]) is None
    assert t_interval([1.0, 3.0]) == pytest.approx(
        12.706 * 1.0, rel=1e-3
    )  # t(0.975, 1) x s/sqrt(2)


def test_holm_adjusts_step_down_and_stays_monotone() -> None:
    assert holm([0.01, 0.04, 0.03, 0.5]) == pytest.approx([0.04, 0.09, 0.09, 0.5])
    assert holm([0.2]) == [0.2] and holm([0.6, 0.7]) == pytest.approx([1.0, 1.0])


def test_decimals_follow_the_interval() -> None:
    assert [decimals_for(w) for w in (1.2, 0.34, 0.034, 12.0)] == [1, 2, 3, 0]
    assert decimals_for(None) == 3 and decimals_for(0.0) == 3


def test_no_difference_at_all_is_no_evidence() -> None:
    assert wilcoxon_p(np.zeros(10)) == 1.0
    same = np.ones((2, 5))
    comparison = compare_paired(same, same)
    assert comparison.difference == 0 and comparison.verdict(1.0, maximize=True) == "tie"
    with pytest.raises(ValueError, match="same images"):
        compare_paired(np.ones((1, 4)), np.ones((1, 5)))
