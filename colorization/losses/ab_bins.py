"""Quantised ab colours as Zhang, Isola & Efros use them ("Colorful Image Colorization", ECCV
2016, section 2.1-2.3): the 313 bins, soft encoding of a colour over its nearest bins, the class
rebalancing weights from a bin prior, and decoding a distribution back to one colour by the
annealed mean.

All ab values here are in CIE Lab units (about -110 to 110), not the tasks' normalised ab/110.
"""

from __future__ import annotations

import functools
import math
from importlib import resources

import torch
from torch.nn import functional as F

BINS_FILE = "ab_bins_313.txt"
# Pixels per chunk when measuring distances to every bin (bounds the (pixels, bins) matrix).
CHUNK = 1 << 16
# The candidate table covers the integer ab points in [-LIMIT, LIMIT]^2 (sRGB stays inside).
LIMIT = 128


@functools.cache
def _published_bins() -> tuple[tuple[float, float], ...]:
    text = resources.files("colorization.losses").joinpath(BINS_FILE).read_text()
    rows = [line.split() for line in text.splitlines() if line and not line.startswith("#")]
    return tuple((float(a), float(b)) for a, b in rows)


def published_bins() -> torch.Tensor:
    """The 313 bin centres (313, 2) of Zhang et al. 2016 as ``(a, b)``, in their class order
    (:data:`BINS_FILE`, from ``resources/pts_in_hull.npy`` of richzhang/colorization)."""
    return torch.tensor(_published_bins(), dtype=torch.float32)


def nearest_bins(
    ab: torch.Tensor, centres: torch.Tensor, count: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """Squared distances and indices of the ``count`` nearest bins of each colour, nearest first.

    ``ab`` is (N, 2) and ``centres`` (Q, 2); returns two (N, count) tensors. Runs in chunks of
    :data:`CHUNK` colours, so that a whole batch never needs an (N, Q) matrix at once.
    """
    ab, centres = ab.float(), centres.float()
    distances, indices = [], []
    for part in ab.split(CHUNK):
        squared = torch.cdist(part, centres, compute_mode="donot_use_mm_for_euclid_dist").square()
        nearest = squared.topk(count, dim=1, largest=False, sorted=True)
        distances.append(nearest.values)
        indices.append(nearest.indices)
    if not distances:  # no colours at all
        empty = ab.new_zeros(0, count)
        return empty, empty.long()
    return torch.cat(distances), torch.cat(indices)


def candidate_table(centres: torch.Tensor, count: int) -> torch.Tensor:
    """For each integer ab point of [-LIMIT, LIMIT]^2, the bins that can be among the ``count``
    nearest of any colour that rounds to it: shape (2 LIMIT + 1, 2 LIMIT + 1, K).

    A colour is at most sqrt(2)/2 from the point it rounds to, so its ``count`` nearest bins are
    among those no further from the point than the point's ``count``-th nearest plus sqrt(2);
    K is the most such bins any point has. Looking the candidates up makes the soft encoding of
    a pixel cost K distances instead of one per bin (313), with the same result.
    """
    axis = torch.arange(-LIMIT, LIMIT + 1, dtype=torch.float32)
    points = torch.stack(torch.meshgrid(axis, axis, indexing="ij"), dim=-1).reshape(-1, 2)
    distances = torch.cdist(points, centres.float().cpu())
    reach = distances.topk(count, dim=1, largest=False).values[:, -1:] + math.sqrt(2)
    candidates = int((distances <= reach).sum(dim=1).max())
    nearest = distances.topk(candidates, dim=1, largest=False, sorted=True).indices
    return nearest.reshape(len(axis), len(axis), candidates)


def nearest_candidates(
    ab: torch.Tensor, centres: torch.Tensor, count: int, table: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """:func:`nearest_bins` through a :func:`candidate_table` (exact for ab in the table's range;
    colours outside it are looked up at its edge)."""
    ab = ab.float()
    cells = (ab.round().clamp(-LIMIT, LIMIT) + LIMIT).long()
    candidates = table[cells[:, 0], cells[:, 1]]
    squared = (centres.float()[candidates] - ab.unsqueeze(1)).square().sum(dim=-1)
    nearest = squared.topk(count, dim=1, largest=False, sorted=True)
    return nearest.values, candidates.gather(1, nearest.indices)


def soft_encode(
    ab: torch.Tensor,
    centres: torch.Tensor,
    neighbours: int = 5,
    sigma: float = 5.0,
    table: torch.Tensor | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Zhang et al.'s soft targets: each colour's ``neighbours`` nearest bins, weighted by a
    Gaussian of their distance (``sigma`` in ab units) and normalised to sum to 1.

    ``ab`` is (B, 2, H, W); returns ``(weights, indices)``, both (B, neighbours, H, W), the
    nearest bin first. The sparse form is what the loss needs (it gathers the predicted log
    probabilities of these bins); :func:`dense_targets` spreads it over all bins. ``table``: a
    :func:`candidate_table` for ``neighbours``, which makes it much faster.
    """
    batch, _, height, width = ab.shape
    colours = ab.permute(0, 2, 3, 1).reshape(-1, 2)
    if table is None:
        squared, indices = nearest_bins(colours, centres, neighbours)
    else:
        squared, indices = nearest_candidates(colours, centres, neighbours, table)
    # Shift by the nearest distance before exp: the ratios are unchanged, nothing underflows.
    weights = torch.exp(-(squared - squared[:, :1]) / (2 * sigma**2))
    weights = weights / weights.sum(dim=1, keepdim=True)

    def as_maps(values: torch.Tensor) -> torch.Tensor:
        return values.reshape(batch, height, width, neighbours).permute(0, 3, 1, 2)

    return as_maps(weights), as_maps(indices)


def dense_targets(weights: torch.Tensor, indices: torch.Tensor, bins: int) -> torch.Tensor:
    """The soft targets of :func:`soft_encode` as a (B, bins, H, W) distribution."""
    batch, _, height, width = weights.shape
    dense = weights.new_zeros(batch, bins, height, width)
    return dense.scatter_(1, indices, weights)


def annealed_mean(logits: torch.Tensor, centres: torch.Tensor, temperature: float) -> torch.Tensor:
    """One colour per pixel from bin scores (B, Q, H, W): the mean of the distribution
    re-normalised at ``temperature`` (Zhang et al. 2016, eq. 5). ``temperature`` 1 gives the
    mean (desaturated), towards 0 the mode (vivid but patchy); 0 is the mode itself; 0.38 is
    the published compromise. Returns (B, 2, H, W) in ab units."""
    if temperature < 0:
        raise ValueError(f"The annealed-mean temperature must be >= 0, got {temperature}.")
    logits = logits.float()
    if temperature == 0:
        probabilities = F.one_hot(logits.argmax(dim=1), logits.shape[1]).permute(0, 3, 1, 2)
        probabilities = probabilities.float()
    else:
        # softmax(log p / T) = softmax(logits / T): the log-partition term cancels.
        probabilities = (logits / temperature).softmax(dim=1)
    return torch.einsum("bqhw,qc->bchw", probabilities, centres.float())


def smoothed_prior(counts: torch.Tensor, centres: torch.Tensor, sigma: float = 5.0) -> torch.Tensor:
    """The empirical bin distribution, smoothed by a Gaussian of ``sigma`` (ab units) over the
    bins' positions and normalised to sum to 1 (Zhang et al. 2016, eq. 4: ``p~``)."""
    if float(counts.sum()) <= 0:
        raise ValueError("The bin counts are all zero: the prior needs at least one colour.")
    prior = counts.double() / counts.double().sum()
    if sigma > 0:
        squared = torch.cdist(centres.double(), centres.double()).square()
        prior = torch.exp(-squared / (2 * sigma**2)) @ prior
    return (prior / prior.sum()).float()


def rebalancing_weights(prior: torch.Tensor, mix: float = 0.5) -> torch.Tensor:
    """Class weights ``w ~ ((1 - mix) * prior + mix / Q)^-1``, scaled so that their mean under
    ``prior`` is 1 (Zhang et al. 2016, eq. 4; ``mix`` is the paper's lambda): rare, saturated
    colours count more, common greyish ones less, and the loss keeps its scale."""
    if not 0.0 < mix <= 1.0:
        raise ValueError(f"loss.prior_mix (lambda) must be in (0, 1], got {mix}.")
    prior = prior.double()
    weights = 1.0 / ((1.0 - mix) * prior + mix / prior.numel())
    return (weights / (prior * weights).sum()).float()


def count_bins(ab: torch.Tensor, centres: torch.Tensor) -> torch.Tensor:
    """How many of the colours ``ab`` (B, 2, H, W) fall in each bin (nearest centre)."""
    colours = ab.permute(0, 2, 3, 1).reshape(-1, 2)
    _, nearest = nearest_bins(colours, centres, 1)
    return torch.bincount(nearest.flatten(), minlength=len(centres)).double()
