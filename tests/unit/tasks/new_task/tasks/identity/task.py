"""The identity task: the network learns to return its input."""

from __future__ import annotations

import torch
from torch import nn
from torchmetrics import Metric, StructuralSimilarityIndexMeasure

from colorization.metrics import ImagePSNR, image_psnr_ssim
from colorization.tasks.base import ImageToImageTask, PreparedBatch


class IdentityTask(ImageToImageTask):
    predicts_images = True
    rgb_input_range = (0.0, 1.0)

    def prepare_batch(self, batch: dict[str, torch.Tensor], stage: str) -> PreparedBatch:
        image = batch["image"].float() / 255
        return PreparedBatch(inputs=image, target=image)

    def make_metrics(self) -> dict[str, Metric]:
        return {"psnr": ImagePSNR(), "ssim": StructuralSimilarityIndexMeasure(data_range=1.0)}

    def update_metrics(
        self, metrics: nn.ModuleDict, prepared: PreparedBatch, pred: torch.Tensor
    ) -> None:
        metrics["psnr"].update(pred.float().clamp(0, 1), prepared.target)
        metrics["ssim"].update(pred.float().clamp(0, 1), prepared.target)

    def image_scores(self, prepared: PreparedBatch, pred: torch.Tensor) -> dict[str, torch.Tensor]:
        return image_psnr_ssim(pred.float().clamp(0, 1), prepared.target)

    def preview_panels(self, prepared: PreparedBatch, pred: torch.Tensor) -> list[torch.Tensor]:
        return [prepared.inputs, pred.float().clamp(0, 1), prepared.target]
