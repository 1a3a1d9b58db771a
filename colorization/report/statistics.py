"""How sure a comparison is: intervals over seeds, paired tests over test images.

Two sources of noise separate a measured difference from a real one: the images a model is
tested on (another test set would score it differently) and the training run itself (another
seed would train another model). A configuration's mean over seeds gets a Student t interval
(the seeds are its samples); two configurations tested on the same images are compared image by
image, the paired design that removes what all models share (an image that is hard for one is
hard for all). See Dror et al. 2018, "The Hitchhiker's Guide to Testing Statistical Significance
in Natural Language Processing", and Bouthillier et al. 2021, "Accounting for Variance in
Machine Learning Benchmarks", for why both matter.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

CONFIDENCE = 0.95
ALPHA = 1 - CONFIDENCE
POWER = 0.8  # of the smallest detectable difference
BOOTSTRAP_RESAMPLES = 4000


def t_interval(values: Sequence[float], confidence: float = CONFIDENCE) -> float | None:
    """Half-width of the Student t interval of the mean of ``values`` (their sample standard
    deviation over sqrt(n), times t at n - 1 degrees of freedom); None for fewer than two."""
    finite = np.asarray([v for v in values if v is not None and math.isfinite(v)], dtype=float)
    if len(finite) < 2:
        return None
    scale = finite.std(ddof=1) / math.sqrt(len(finite))
    return float(stats.t.ppf(0.5 + confidence / 2, len(finite) - 1) * scale)


def decimals_for(half_width: float | None, default: int = 3) -> int:
    """Decimals that show an interval to two significant digits (0.034 -> 3, 1.2 -> 1), so a
    mean is not printed more precisely than its interval supports."""
    if half_width is None or not math.isfinite(half_width) or half_width <= 0:
        return default
    return int(min(max(1 - math.floor(math.log10(half_width)), 0), 6))


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm's step-down adjustment (Holm 1979) of ``p_values``: the family-wise error rate
    stays at most alpha over all the comparisons. SciPy has only the Benjamini-Hochberg/Yekutieli
    false discovery rate (``scipy.stats.false_discovery_control``); Holm takes a few lines."""
    order = np.argsort(p_values, kind="stable")
    count = len(p_values)
    adjusted = np.empty(count)
    running = 0.0
    for rank, index in enumerate(order):
        running = max(running, min(1.0, (count - rank) * float(p_values[index])))
        adjusted[index] = running
    return adjusted.tolist()


@dataclass(frozen=True)
class PairedComparison:
    """A minus B on the same images: the mean per-image difference (of the seed means), its
    bootstrap interval, a Wilcoxon signed-rank p-value, and the smallest difference the images
    could have detected."""

    difference: float
    low: float
    high: float
    p_value: float
    images: int
    seeds_a: int
    seeds_b: int
    detectable: float

    def verdict(self, adjusted_p: float, maximize: bool, alpha: float = ALPHA) -> str:
        """``better`` / ``worse`` (A against B) where the adjusted p-value is below ``alpha``
        and the interval leaves zero out, else ``tie``: not told apart by this data."""
        if adjusted_p >= alpha or self.low <= 0 <= self.high:
            return "tie"
        return "better" if (self.difference > 0) == maximize else "worse"


def compare_paired(
    a: np.ndarray,
    b: np.ndarray,
    resamples: int = BOOTSTRAP_RESAMPLES,
    seed: int = 0,
    confidence: float = CONFIDENCE,
) -> PairedComparison:
    """Compare configurations A and B from their per-image scores, ``a`` (seeds of A, images)
    and ``b`` (seeds of B, the same images in the same order).

    The interval is a percentile bootstrap that resamples images and, within each configuration,
    seeds (a two-level bootstrap: SciPy's ``stats.bootstrap`` resamples one level only), so a
    configuration's seed-to-seed spread widens it; with one seed a side it covers the images'
    noise only. The p-value is SciPy's Wilcoxon signed-rank test of the per-image differences of
    the seed means (two-sided; it conditions on the trained models). The detectable difference:
    (z(1 - alpha/2) + z(power)) x sd(differences) / sqrt(n), the normal approximation of the
    paired test's power.
    """
    a, b = np.atleast_2d(np.asarray(a, float)), np.atleast_2d(np.asarray(b, float))
    if a.shape[1] != b.shape[1] or a.shape[1] == 0:
        raise ValueError(f"paired scores need the same images: {a.shape} vs {b.shape}")
    differences = a.mean(axis=0) - b.mean(axis=0)
    n = len(differences)
    rng = np.random.default_rng(seed)
    images = rng.integers(0, n, size=(resamples, n))
    seeds_a = rng.integers(0, a.shape[0], size=(resamples, a.shape[0]))
    seeds_b = rng.integers(0, b.shape[0], size=(resamples, b.shape[0]))
    # per resample: mean over the resampled images of each seed, then over the resampled seeds
    image_means_a = a[:, images].mean(axis=2).T  # (resamples, seeds of A)
    image_means_b = b[:, images].mean(axis=2).T
    resampled = np.take_along_axis(image_means_a, seeds_a, 1).mean(1) - np.take_along_axis(
        image_means_b, seeds_b, 1
    ).mean(1)
    tail = (1 - confidence) / 2 * 100
    low, high = np.percentile(resampled, [tail, 100 - tail])
    spread = differences.std(ddof=1) if n > 1 else 0.0
    detectable = (stats.norm.ppf(1 - ALPHA / 2) + stats.norm.ppf(POWER)) * spread / math.sqrt(n)
    return PairedComparison(
        difference=float(differences.mean()),
        low=float(low),
        high=float(high),
        p_value=wilcoxon_p(differences),
        images=n,
        seeds_a=a.shape[0],
        seeds_b=b.shape[0],
        detectable=float(detectable),
    )


def wilcoxon_p(differences: np.ndarray) -> float:
    """Two-sided Wilcoxon signed-rank p-value; 1.0 where every difference is zero (nothing
    to test)."""
    if not np.any(differences != 0):
        return 1.0
    with warnings.catch_warnings():  # small samples: SciPy warns that it switches method
        warnings.simplefilter("ignore")
        return float(stats.wilcoxon(differences).pvalue)
