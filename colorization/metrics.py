"""Image-quality metrics built on torchmetrics: per image (what ``evaluate`` writes for each
test image) and their mean over images (what validation and test log)."""

from __future__ import annotations

import torch
from torchmetrics import MeanMetric
from torchmetrics.functional.image import (
    peak_signal_noise_ratio,
    structural_similarity_index_measure,
)

MAX_DB = 100.0


def image_psnr(
    preds: torch.Tensor, target: torch.Tensor, data_range: float = 1.0, max_db: float = MAX_DB
) -> torch.Tensor:
    """Each image's PSNR (dB), (B,), capped at ``max_db``: one perfectly reconstructed image
    (infinite PSNR) must not make a mean infinite."""
    per_image = peak_signal_noise_ratio(
        preds.float(),
        target.float(),
        data_range=data_range,
        reduction="none",
        dim=tuple(range(1, preds.dim())),
    )
    return per_image.clamp(max=max_db)


def image_psnr_ssim(preds: torch.Tensor, target: torch.Tensor) -> dict[str, torch.Tensor]:
    """``{"psnr": (B,), "ssim": (B,)}`` of images in [0, 1] (SSIM: torchmetrics' defaults,
    Gaussian window 11, sigma 1.5, as the class the tasks log with)."""
    preds, target = preds.float(), target.float()
    ssim = structural_similarity_index_measure(preds, target, data_range=1.0, reduction="none")
    return {"psnr": image_psnr(preds, target), "ssim": ssim.reshape(-1)}


class ImagePSNR(MeanMetric):
    """Mean over images of each image's PSNR (dB), each capped at ``max_db``.

    torchmetrics' ``PeakSignalNoiseRatio`` pools the squared error over the whole epoch; the
    colorization literature (Zhang et al. 2017, "Real-Time User-Guided Image Colorization with
    Learned Deep Priors") reports the mean of per-image PSNR, which this metric computes with
    torchmetrics' functional PSNR.
    """

    def __init__(self, data_range: float = 1.0, max_db: float = MAX_DB, **kwargs) -> None:
        super().__init__(**kwargs)
        self.data_range = data_range
        self.max_db = max_db

    def update(self, preds: torch.Tensor, target: torch.Tensor) -> None:  # type: ignore[override]
        super().update(image_psnr(preds, target, self.data_range, self.max_db))
