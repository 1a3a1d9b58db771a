"""Denoising: a photo with additive white Gaussian noise -> the clean photo.

The noise is made on the batch (:mod:`colorization.data.denoising.noise`): fresh every training
step, at one level or a range of levels (blind denoising, as DnCNN-B), and seeded per image for
validation and test. With ``residual`` (the default, DnCNN's residual learning) the network
predicts the noise and the prediction is the input minus it. Grey models (``channels: 1``) see
the luma of the photo (ITU-R BT.601, as the grey benchmarks were made); exported and in
``predict`` they take an RGB photo and return the denoised luma on all three channels.

Metrics as the papers report them: PSNR and SSIM of the clipped prediction against the clean
image (data range 1, the same number as on 0-255), the noisy input's (``val/psnr_noisy``), and in
``evaluate`` classical denoisers on the same noisy images (``task.baselines``:
:mod:`colorization.data.denoising.baselines`). Whole images go through overlapping tiles.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from kornia.color import rgb_to_grayscale
from torch import nn
from torchmetrics import Metric
from torchmetrics.image import StructuralSimilarityIndexMeasure

from colorization.data.denoising.baselines import BASELINES, denoise_with
from colorization.data.denoising.noise import checked_sigma, noisy_images
from colorization.inference.network import TaskNetwork
from colorization.inference.tiling import check_tiles, tiled_apply
from colorization.metrics import ImagePSNR, image_psnr_ssim
from colorization.tasks.base import ImageToImageTask, PreparedBatch, each_head


def as_channels(rgb: torch.Tensor, channels: int) -> torch.Tensor:
    """RGB (B, 3, H, W) as the task's images: itself, or its BT.601 luma (B, 1, H, W)."""
    return rgb if channels == 3 else rgb_to_grayscale(rgb)


class DenoisingNetwork(TaskNetwork):
    """A photo (N, 3, H, W) in [0, 1] -> the denoised photo: the input minus the network's
    output (``residual``) or the output itself; a grey network sees the luma and its result is
    repeated on the three channels."""

    def __init__(self, net: nn.Module, residual: bool, channels: int) -> None:
        super().__init__(net)
        self.residual = residual
        self.channels = channels

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        image = as_channels(inputs, self.channels)
        output = super().forward(image)
        if self.residual:
            output = image - output
        return output.repeat(1, 3 // self.channels, 1, 1)


class DenoisingTask(ImageToImageTask):
    """Args:
    sigma: the training noise level on the 0-255 scale (25), or a ``[low, high]`` range drawn
        per image (``[0, 55]``: blind, as DnCNN-B).
    eval_sigma: the validation and test level (None: ``sigma``, or 25 for a range);
        ``evaluate`` tests at 15, 25 and 50 besides.
    clip: clip noisy inputs to [0, 1], as a saved 8-bit image would be (the papers do not).
    residual: the network predicts the noise (DnCNN's residual learning).
    channels: 3 (colour) or 1 (grey, the luma of the photos); ``in_channels`` and
        ``out_channels``, if given, must equal it.
    noise_seed: validation/test noise of image ``i`` comes from seed ``noise_seed + i``.
    baselines: classical denoisers scored beside the model (``nlm``, ``bm3d``); ``evaluate``
        sets them.
    tile_size / tile_overlap: tiles for whole-image inference (test, prediction); the overlap
        should cover the network's receptive field (35 pixels for 17-layer DnCNN).
    ``args`` and ``base`` (network, loss, optimizer, ...): see :class:`ImageToImageTask`.
    """

    predicts_images = True
    preview_titles = ("noisy", "prediction", "clean")
    rgb_input_range = (0.0, 1.0)

    def __init__(
        self,
        *args: Any,
        sigma: float | Sequence[float],
        eval_sigma: float | None,
        clip: bool,
        residual: bool,
        channels: int,
        noise_seed: int,
        tile_size: int,
        tile_overlap: int,
        in_channels: int,
        out_channels: int,
        baselines: Sequence[str] = (),
        **base: Any,
    ) -> None:
        low, high = checked_sigma(sigma)
        # Plain types only (not Hydra's ListConfig): checkpoints load with weights_only=True.
        sigma = low if low == high else [low, high]
        if eval_sigma is None:
            eval_sigma = low if low == high else 25.0
        eval_sigma = checked_sigma(eval_sigma, "task.eval_sigma")[0]
        if channels not in (1, 3):
            raise ValueError(f"task.channels must be 3 (colour) or 1 (grey), got {channels}.")
        if {in_channels, out_channels} != {channels}:
            raise ValueError(
                f"task.in_channels and task.out_channels follow task.channels ({channels}); "
                "set task.channels instead."
            )
        baselines = [str(name) for name in baselines]
        unknown = sorted(set(baselines) - set(BASELINES))
        if unknown:
            raise ValueError(f"task.baselines: unknown {unknown}; choose from {sorted(BASELINES)}.")
        check_tiles(tile_size, tile_overlap, "task.")
        self.baselines = baselines  # make_metrics, called by the base, scores them
        super().__init__(*args, in_channels=channels, out_channels=channels, **base)
        self.training_sigma = (low, high)
        self.eval_sigma = eval_sigma

    # --- network -------------------------------------------------------------------------
    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        output = super().forward(inputs)
        if not self.hparams.residual:
            return output
        return each_head(output, lambda head: inputs - head)

    def inference_network(self) -> TaskNetwork:
        return DenoisingNetwork(self.net, self.hparams.residual, self.hparams.channels)

    def predict_images(self, inputs: torch.Tensor) -> torch.Tensor:
        """Whole images of any size, in overlapping tiles blended together."""
        return tiled_apply(self, inputs, self.hparams.tile_size, self.hparams.tile_overlap)

    # --- data and metrics ----------------------------------------------------------------
    def prepare_batch(self, batch: dict[str, torch.Tensor], stage: str) -> PreparedBatch:
        clean = as_channels(batch["image"].float() / 255, self.hparams.channels)
        if stage == "train":
            noisy = noisy_images(clean, self.training_sigma, clip=self.hparams.clip)
        else:
            seeds = [self.hparams.noise_seed + int(i) for i in batch["index"].tolist()]
            sigma = (self.eval_sigma, self.eval_sigma)
            noisy = noisy_images(clean, sigma, seeds, clip=self.hparams.clip)
        return PreparedBatch(inputs=noisy, target=clean)

    def make_metrics(self) -> dict[str, Metric]:
        metrics: dict[str, Metric] = {}
        for name in ("", "_noisy", *(f"_{b}" for b in self.baselines)):
            metrics[f"psnr{name}"] = ImagePSNR()
            metrics[f"ssim{name}"] = StructuralSimilarityIndexMeasure(data_range=1.0)
        return metrics

    def update_metrics(
        self, metrics: nn.ModuleDict, prepared: PreparedBatch, pred: torch.Tensor
    ) -> None:
        noisy, clean = prepared.inputs, prepared.target
        predictions = {"": pred.float().clamp(0, 1), "_noisy": noisy.float().clamp(0, 1)}
        for name in self.baselines:
            predictions[f"_{name}"] = denoise_with(name, noisy, self.eval_sigma)
        for name, image in predictions.items():
            metrics[f"psnr{name}"].update(image, clean)
            metrics[f"ssim{name}"].update(image, clean)

    def image_scores(self, prepared: PreparedBatch, pred: torch.Tensor) -> dict[str, torch.Tensor]:
        return image_psnr_ssim(pred.float().clamp(0, 1), prepared.target)

    def preview_panels(self, prepared: PreparedBatch, pred: torch.Tensor) -> list[torch.Tensor]:
        """noisy input | prediction | clean image (grey images on three channels)."""
        panels = [prepared.inputs.clamp(0, 1), pred.float().clamp(0, 1), prepared.target]
        return [panel.repeat(1, 3 // self.hparams.channels, 1, 1) for panel in panels]
