"""colorization.metrics: per-image PSNR."""

import pytest
import torch

from colorization.metrics import ImagePSNR


def test_psnr_of_a_perfect_prediction_is_capped() -> None:
    metric = ImagePSNR(max_db=100.0)
    image = torch.rand(2, 3, 8, 8)
    metric.update(image, image)
    assert metric.compute().item() == 100.0


def test_psnr_is_the_mean_of_per_image_psnr() -> None:
    metric = ImagePSNR()
    target = torch.zeros(2, 3, 4, 4)
    preds = torch.stack([torch.full((3, 4, 4), 0.1), torch.full((3, 4, 4), 0.01)])
    metric.update(preds, target)
    assert metric.compute().item() == pytest.approx((20.0 + 40.0) / 2, abs=1e-4)
