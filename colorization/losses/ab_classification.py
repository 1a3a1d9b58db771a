"""Colorization as classification over quantised ab (Zhang, Isola & Efros, "Colorful Image
Colorization", ECCV 2016): the network scores 313 ab bins per pixel, is trained by a
class-rebalanced multinomial cross-entropy against soft-encoded targets, and its scores are
decoded to one colour per pixel by the annealed mean. Regression (L1/L2 on ab) averages the
plausible colours of an object into grey; the distribution keeps them apart.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import nn
from torch.nn import functional as F

from colorization.losses.ab_bins import (
    annealed_mean,
    candidate_table,
    published_bins,
    rebalancing_weights,
    smoothed_prior,
    soft_encode,
)


def output_stride(predicted: tuple[int, int], wanted: tuple[int, int]) -> int:
    """How many target pixels one predicted pixel stands for (eccv16 scores ab at a quarter
    of the resolution: 4; a full-resolution network: 1). The predicted size must be the target
    size divided by that stride, rounded up."""
    stride = math.ceil(wanted[0] / predicted[0])
    fits = all(math.ceil(w / stride) == p for p, w in zip(predicted, wanted, strict=True))
    if predicted[0] > wanted[0] or not fits:
        raise ValueError(
            f"The network's bin scores are {predicted[0]}x{predicted[1]} for a "
            f"{wanted[0]}x{wanted[1]} target: they must be at its resolution or at 1/s of it."
        )
    return stride


class AnnealedMeanDecoder(nn.Module):
    """Bin scores (B, Q, h, w) -> normalised ab (B, 2, H, W): the annealed mean, up-sampled
    bilinearly by ``stride`` when the scores are at 1/stride of the resolution (as Zhang et al.
    up-sample their quarter-resolution ab), cropped to ``size``. ``stride=None`` finds it from
    the sizes (:func:`output_stride`); the exported network passes its model's own
    ``output_stride``, so that the graph keeps dynamic sizes."""

    def __init__(
        self, centres: torch.Tensor, temperature: float = 0.38, ab_scale: float = 110.0
    ) -> None:
        super().__init__()
        if temperature < 0:
            raise ValueError(f"loss.temperature must be >= 0, got {temperature}.")
        self.register_buffer("centres", centres.float().clone())
        self.temperature = float(temperature)
        self.ab_scale = float(ab_scale)

    def forward(
        self, logits: torch.Tensor, size: Sequence[int], stride: int | None = None
    ) -> torch.Tensor:
        if stride is None:
            stride = output_stride(tuple(logits.shape[-2:]), (int(size[0]), int(size[1])))
        ab = annealed_mean(logits, self.centres, self.temperature) / self.ab_scale
        if stride > 1:
            ab = F.interpolate(ab, scale_factor=stride, mode="bilinear", align_corners=False)
        return ab[..., : size[0], : size[1]]


class ABClassificationLoss(nn.Module):
    """Zhang et al. 2016's rebalanced multinomial cross-entropy (eq. 2 with the weights of
    eq. 3-4) between bin scores and the true ab, soft-encoded.

    The loss decides the network's output channels (``output_channels``: one per bin), so any
    zoo model can be trained with it; the task decodes the scores with :attr:`decoder` for its
    metrics, previews, prediction and export. Scores at a lower resolution than the target (eccv16:
    a quarter) are compared with every s-th target pixel, as the paper sub-samples its targets.

    Args:
        neighbours / sigma: soft encoding over the ``neighbours`` nearest bins with a Gaussian of
            ``sigma`` (ab units); 5 and 5 published.
        rebalance: weight each pixel by its nearest bin's rarity. The bin prior is measured on
            the training data when training starts (:meth:`set_prior`; the task does it and
            caches it in the run folder); until then, and with ``rebalance=false``, all weights
            are 1.
        prior_sigma / prior_mix: the prior's Gaussian smoothing (5) and its mix with the uniform
            distribution (lambda, 0.5 published).
        prior_images: training images (crops) the prior is measured on, at most.
        temperature: of the annealed mean that decodes scores to ab (0.38 published; 1: the
            mean, 0: the mode).
        ab_scale: the task's ab unit: it compares and predicts ``ab / ab_scale`` (colorization:
            110, which the task checks).
    """

    kind = "ab_classification"

    def __init__(
        self,
        neighbours: int = 5,
        sigma: float = 5.0,
        rebalance: bool = True,
        prior_sigma: float = 5.0,
        prior_mix: float = 0.5,
        prior_images: int = 512,
        temperature: float = 0.38,
        ab_scale: float = 110.0,
    ) -> None:
        super().__init__()
        centres = published_bins()
        if not 1 <= neighbours <= len(centres):
            raise ValueError(f"loss.neighbours must be in [1, {len(centres)}], got {neighbours}.")
        if sigma <= 0:
            raise ValueError(f"loss.sigma must be > 0, got {sigma}.")
        if prior_images < 1:
            raise ValueError(f"loss.prior_images must be >= 1, got {prior_images}.")
        rebalancing_weights(torch.ones(len(centres)) / len(centres), prior_mix)  # checks the mix
        self.neighbours = neighbours
        self.sigma = sigma
        self.rebalance = rebalance
        self.prior_sigma = prior_sigma
        self.prior_mix = prior_mix
        self.prior_images = prior_images
        self.decoder = AnnealedMeanDecoder(centres, temperature, ab_scale)
        # In the checkpoint, so that evaluation and a resumed run weigh pixels as training did.
        self.register_buffer("class_weights", torch.ones(len(centres)))
        self._candidates: torch.Tensor | None = None  # built at the first use

    def candidates(self, device: torch.device) -> torch.Tensor:
        """The :func:`candidate_table` of the bins, on ``device``."""
        if self._candidates is None:
            self._candidates = candidate_table(self.decoder.centres, self.neighbours)
        if self._candidates.device != device:
            self._candidates = self._candidates.to(device)
        return self._candidates

    @property
    def output_channels(self) -> int:
        return len(self.decoder.centres)

    def set_prior(self, counts: torch.Tensor) -> None:
        """Turn bin counts of the training colours into the class weights (with ``rebalance``)."""
        if not self.rebalance:
            return
        prior = smoothed_prior(counts.cpu(), self.decoder.centres.cpu(), self.prior_sigma)
        weights = rebalancing_weights(prior, self.prior_mix)
        self.class_weights.copy_(weights.to(self.class_weights.device))

    def forward(self, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """``logits`` (B, Q, h, w) against the normalised true ab (B, 2, H, W)."""
        if logits.shape[1] != self.output_channels:
            raise ValueError(
                f"loss=ab_classification needs {self.output_channels} output channels (one per "
                f"ab bin), the network gives {logits.shape[1]}: leave model.out_channels unset."
            )
        stride = output_stride(tuple(logits.shape[-2:]), tuple(target.shape[-2:]))
        target = target[..., ::stride, ::stride].float() * self.decoder.ab_scale
        with torch.no_grad():
            table = self.candidates(target.device)
            weights, indices = soft_encode(
                target, self.decoder.centres, self.neighbours, self.sigma, table
            )
            pixel_weights = self.class_weights[indices[:, 0]]  # the nearest bin's weight
        with torch.autocast(logits.device.type, enabled=False):
            log_probabilities = logits.float().log_softmax(dim=1).gather(1, indices)
            cross_entropy = -(weights * log_probabilities).sum(dim=1)
            return (pixel_weights * cross_entropy).mean()
