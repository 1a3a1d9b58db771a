"""Image-quality metrics built on torchmetrics."""

from __future__ import annotations

import torch
from torchmetrics import MeanMetric
from torchmetrics.functional.image import peak_signal_noise_ratio


class ImagePSNR(MeanMetric):
    """Mean over images of each image's PSNR (dB), each capped at ``max_db``.

    torchmetrics' ``PeakSignalNoiseRatio`` pools the squared error over the whole epoch; the
    colorization literature (Zhang et al. 2017, "Real-Time User-Guided Image Colorization with
    Learned Deep Priors") reports
    the mean of per-image PSNR, which this metric computes with torchmetrics' functional PSNR.
    The cap keeps one perfectly reconstructed image (infinite PSNR) from making the mean infinite.
    """

    def __init__(self, data_range: float = 1.0, max_db: float = 100.0, **kwargs) -> None:
        super().__init__(**kwargs)
        self.data_range = data_range
        self.max_db = max_db

    def update(self, preds: torch.Tensor, target: torch.Tensor) -> None:  # type: ignore[override]
        per_image = peak_signal_noise_ratio(
            preds.float(),
            target.float(),
            data_range=self.data_range,
            reduction="none",
            dim=tuple(range(1, preds.dim())),
        )
        super().update(per_image.clamp(max=self.max_db))
