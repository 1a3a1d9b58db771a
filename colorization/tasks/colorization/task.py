"""Hint-based colorization: L + sparse colour hints + hint mask (4 channels) -> ab (2 channels);
with ``propagation``, 2 more input channels (the hints spread by a classical method) that the
network refines."""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import torch
from torch import nn
from torchmetrics import Metric
from torchmetrics.image import StructuralSimilarityIndexMeasure

from colorization.data.colorization.ab_prior import training_bin_counts
from colorization.data.colorization.baselines import BASELINES
from colorization.data.colorization.hints import HintSampler, NoHints, RandomPixelHints
from colorization.data.colorization.lab import (
    AB_SCALE,
    normalized_lab_to_rgb,
    rgb_to_normalized_lab,
)
from colorization.metrics import ImagePSNR, image_psnr_ssim
from colorization.models.refiner import PropagationRefiner
from colorization.tasks.base import (
    ImageToImageTask,
    PreparedBatch,
)
from colorization.tasks.colorization.inputs import network_inputs

HINT_BACKGROUND = 0.25  # grey level of non-hinted pixels in the hint preview panel


def rotate_hue(ab: torch.Tensor, rate: float) -> torch.Tensor:
    """Turn the ab of a ``rate`` fraction of the images by a uniform random angle (the same
    chroma, another hue); the others are left as they are."""
    batch = ab.shape[0]
    angle = torch.rand(batch, device=ab.device) * 2 * math.pi
    angle = angle * (torch.rand(batch, device=ab.device) < rate)
    cos, sin = angle.cos().view(-1, 1, 1), angle.sin().view(-1, 1, 1)
    a, b = ab[:, 0], ab[:, 1]
    return torch.stack([a * cos - b * sin, a * sin + b * cos], dim=1)


class ColorizationTask(ImageToImageTask):
    """Predict ab from L and user hints; scored by PSNR/SSIM on the RGB rebuilt from true L.

    ``*_no_color`` metrics score the "no colour" baseline (predict ab = 0, i.e. the grey image),
    so the dashboard shows how much the model lifts over doing nothing.

    Args:
        hints: the hint sampler (random pixels at 1/3/5 % by default, geometric patches, or
            none: automatic colorization; with ``in_channels=1`` the network sees L only).
        hint_seed: validation/test hints of image ``i`` are drawn from seed ``hint_seed + i``.
        no_hint_rate: the fraction of training images given no hints at all (Zhang et al. 2017
            draw 0 hints one time in 8), so that one model also colorizes without hints;
            validation keeps its seeded hints.
        hue_rotation_rate: the fraction of training images whose colours are turned by a random
            angle in the ab plane (hints with them), so that the network cannot memorise which
            colour a thing has and must spread the hinted colours.
        propagation: ``levin`` gives the network the hints spread by Levin et al. 2004 as 2 more
            input channels (``in_channels`` 6) and makes it a
            :class:`~colorization.models.refiner.PropagationRefiner`: it starts at that
            propagation's colours and learns a correction (the propagation runs on the CPU,
            SciPy, one sparse solve per image); ``None``: the network predicts ab from scratch.
        baselines: also score these colorizations without learning on the same hints
            (``hint_mean``, ``levin``: :mod:`colorization.data.colorization.baselines`), as
            ``psnr_<name>`` / ``ssim_<name>``; ``python -m colorization.evaluate`` turns them on.
        ``args`` and ``base`` (network, loss, optimizer, scheduler, training-step options):
            see :class:`ImageToImageTask`.
    """

    object_arguments = ("hints",)
    loss_kinds = ("regression", "ab_classification")
    preview_titles = ("grey", "hints", "prediction", "truth")

    def __init__(
        self,
        *args: Any,
        hints: HintSampler | None = None,
        hint_seed: int,
        no_hint_rate: float,
        hue_rotation_rate: float,
        propagation: str | None,
        baselines: Sequence[str],
        in_channels: int,
        **base: Any,
    ) -> None:
        for name, rate in (
            ("no_hint_rate", no_hint_rate),
            ("hue_rotation_rate", hue_rotation_rate),
        ):
            if not 0.0 <= rate <= 1.0:
                raise ValueError(f"task.{name} must be in [0, 1], got {rate}.")
        # Plain types only (not Hydra's ListConfig): checkpoints load with weights_only=True.
        baselines = [str(name) for name in baselines]
        unknown = sorted(set(baselines) - set(BASELINES))
        if unknown:
            raise ValueError(
                f"task.baselines: unknown {unknown}; choose from {sorted(set(BASELINES))}."
            )
        if propagation is not None:
            if propagation not in BASELINES:
                raise ValueError(
                    f"task.propagation: unknown {propagation!r}; choose from "
                    f"{sorted(BASELINES)} or null."
                )
            if in_channels != 6:
                raise ValueError(
                    f"task.propagation={propagation} adds 2 input channels to L, hints and mask: "
                    f"set task.in_channels=6 (got {in_channels})."
                )
        if in_channels == 1 and not isinstance(hints, NoHints):
            raise ValueError(
                "task.in_channels=1 gives the network L only, so the hints would be drawn and "
                "never seen: add task/hints=none (automatic colorization), or use in_channels=4."
            )
        if in_channels not in (1, 4, 6):
            raise ValueError(
                f"task.in_channels must be 1 (L), 4 (L, hint ab, mask) or 6 (and a propagation), "
                f"got {in_channels}."
            )
        # The grey image is always scored beside the model (the dashboard's do-nothing baseline).
        self.baselines = ["no_color", *(name for name in baselines if name != "no_color")]
        super().__init__(*args, in_channels=in_channels, **base)
        self.hints = hints if hints is not None else RandomPixelHints()
        ab_scale = getattr(self.output_decoder, "ab_scale", AB_SCALE)
        if ab_scale != AB_SCALE:
            raise ValueError(
                f"loss.ab_scale={ab_scale}, but the task feeds ab / {AB_SCALE}: "
                f"set loss.ab_scale={AB_SCALE}."
            )
        if propagation is not None and self.output_decoder is not None:
            raise ValueError(
                f"task.propagation={propagation} refines propagated ab by regression; "
                f"{type(self.loss).__name__} predicts ab bins. Use a regression loss (loss=l1) "
                "or task.propagation=null."
            )
        if propagation is not None:
            self.net = PropagationRefiner(self.net)

    @contextlib.contextmanager
    def using_hints(self, sampler: HintSampler) -> Iterator[None]:
        """Validate or test with ``sampler``'s hints instead of the task's own (an evaluation
        protocol); the task's own come back afterwards."""
        own, self.hints = self.hints, sampler
        try:
            yield
        finally:
            self.hints = own

    def setup(self, stage: str) -> None:
        """Before training, a loss with class rebalancing gets its ab prior from the training
        data (measured once, cached in the run folder; under DDP rank 0 measures, all use it)."""
        if stage != "fit" or not getattr(self.loss, "rebalance", False):
            return
        trainer, datamodule = self.trainer, self.trainer.datamodule
        if getattr(datamodule, "train_set", None) is None:
            raise ValueError(
                "loss.rebalance=true measures the ab prior on the DataModule's training set, "
                "and this run has none: train with a DataModule, or set loss.rebalance=false."
            )
        counts = None
        if trainer.is_global_zero:
            centres, folder = self.loss.decoder.centres.cpu(), Path(trainer.default_root_dir)
            counts = training_bin_counts(datamodule, centres, self.loss.prior_images, folder)
        self.loss.set_prior(trainer.strategy.broadcast(counts, src=0))

    def make_metrics(self) -> dict[str, Metric]:
        metrics: dict[str, Metric] = {}
        for name in ("", *(f"_{b}" for b in self.baselines)):
            metrics[f"psnr{name}"] = ImagePSNR()
            metrics[f"ssim{name}"] = StructuralSimilarityIndexMeasure(data_range=1.0)
        return metrics

    def prepare_batch(self, batch: dict[str, torch.Tensor], stage: str) -> PreparedBatch:
        rgb = batch["image"].float() / 255.0
        lightness, ab = rgb_to_normalized_lab(rgb)
        if stage == "train" and self.hparams.hue_rotation_rate > 0:
            ab = rotate_hue(ab, self.hparams.hue_rotation_rate)
        generators = None
        if stage != "train":
            seeds = batch["index"].tolist()
            generators = [torch.Generator().manual_seed(self.hparams.hint_seed + s) for s in seeds]
        hint_ab, mask = self.hints(ab, generators)
        if stage == "train" and self.hparams.no_hint_rate > 0:
            keep = torch.rand(mask.shape[0], 1, 1, 1, device=mask.device)
            keep = (keep >= self.hparams.no_hint_rate).to(mask.dtype)
            hint_ab, mask = hint_ab * keep, mask * keep
        inputs, propagated = network_inputs(
            lightness, hint_ab, mask, self.hparams.in_channels == 1, self.hparams.propagation
        )
        extras = {"rgb": rgb, "lightness": lightness, "hint_ab": hint_ab, "mask": mask}
        if propagated is not None:
            extras["propagated"] = propagated
        return PreparedBatch(inputs=inputs, target=ab, extras=extras)

    def update_metrics(
        self, metrics: nn.ModuleDict, prepared: PreparedBatch, pred: torch.Tensor
    ) -> None:
        rgb, extras = prepared.extras["rgb"], prepared.extras
        lightness, hint_ab, mask = extras["lightness"], extras["hint_ab"], extras["mask"]
        predictions = {"": pred}
        for name in self.baselines:
            if name == self.hparams.propagation:  # already computed as the network's input
                predictions[f"_{name}"] = extras["propagated"]
            else:
                predictions[f"_{name}"] = BASELINES[name](lightness, hint_ab, mask)
        for name, ab in predictions.items():
            colored = normalized_lab_to_rgb(lightness, ab)
            metrics[f"psnr{name}"].update(colored, rgb)
            metrics[f"ssim{name}"].update(colored, rgb)

    def image_scores(self, prepared: PreparedBatch, pred: torch.Tensor) -> dict[str, torch.Tensor]:
        """PSNR and SSIM of each image in RGB, the model's colours on the true lightness."""
        colored = normalized_lab_to_rgb(prepared.extras["lightness"], pred)
        return image_psnr_ssim(colored, prepared.extras["rgb"])

    def preview_panels(self, prepared: PreparedBatch, pred: torch.Tensor) -> list[torch.Tensor]:
        """grey input | hints (exact pixels, on a dark background) | prediction | ground truth."""
        lightness, mask = prepared.extras["lightness"], prepared.extras["mask"]
        grey = normalized_lab_to_rgb(lightness, torch.zeros_like(prepared.target))
        hint_colors = normalized_lab_to_rgb(lightness, prepared.extras["hint_ab"])
        hints = mask * hint_colors + (1 - mask) * HINT_BACKGROUND
        return [grey, hints, normalized_lab_to_rgb(lightness, pred), prepared.extras["rgb"]]
