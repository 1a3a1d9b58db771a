"""The bicubic degradation, the Y channel and the shaved PSNR of the super-resolution task."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from PIL import Image

from colorization.data.superres.degradation import (
    bicubic_downsample,
    bicubic_upsample,
    crop_to_multiple,
    rgb_to_y,
    shave,
)
from colorization.metrics import ImagePSNR


@pytest.mark.parametrize("scale", [2, 3, 4])
def test_downsampling_gives_8_bit_images_a_scale_smaller(scale: int) -> None:
    high = torch.rand(2, 3, 12 * scale, 7 * scale)
    low = bicubic_downsample(high, scale)
    assert low.shape == (2, 3, 12, 7)
    assert low.min() >= 0 and low.max() <= 1
    torch.testing.assert_close(low * 255, (low * 255).round())  # 8-bit levels
    assert bicubic_upsample(low, scale).shape == high.shape


def test_a_ramp_keeps_its_values_at_the_low_resolution_pixel_centres() -> None:
    """Bicubic interpolation reproduces linear images: a ramp of 2 grey levels per pixel, down-
    sampled 2x, has 2 * (2i + 0.5) = 4i + 1 levels at LR pixel i (away from the borders)."""
    levels = torch.arange(64, dtype=torch.float32) * 2
    high = (levels / 255).expand(1, 3, 8, 64)
    low = bicubic_downsample(high, 2)[0, 0, 2] * 255
    expected = 4 * torch.arange(32, dtype=torch.float32) + 1
    torch.testing.assert_close(low[3:-3], expected[3:-3])


@pytest.mark.parametrize("scale", [2, 3, 4])
def test_the_degradation_is_pil_s_bicubic_within_two_levels(scale: int) -> None:
    image = np.random.default_rng(0).integers(0, 256, (12 * scale, 10 * scale, 3), dtype=np.uint8)
    image = np.asarray(Image.fromarray(image).resize((10 * scale, 12 * scale)))  # some structure
    high = torch.from_numpy(image.copy()).permute(2, 0, 1)[None].float() / 255
    ours = (bicubic_downsample(high, scale)[0].permute(1, 2, 0) * 255).round().numpy()
    pil = np.asarray(Image.fromarray(image).resize((10, 12), Image.BICUBIC))
    assert np.abs(ours - pil).max() <= 2


def test_crops_to_multiples_of_the_scale() -> None:
    assert crop_to_multiple(torch.rand(1, 3, 37, 53), 4).shape == (1, 3, 36, 52)
    assert crop_to_multiple(torch.rand(1, 3, 36, 51), 3).shape == (1, 3, 36, 51)


def test_y_is_bt601_as_matlab_computes_it() -> None:
    white, black = torch.ones(1, 3, 1, 1), torch.zeros(1, 3, 1, 1)
    assert rgb_to_y(white).item() == pytest.approx(235 / 255, abs=1e-3)
    assert rgb_to_y(black).item() == pytest.approx(16 / 255)
    red = torch.tensor([1.0, 0.0, 0.0]).view(1, 3, 1, 1)
    assert rgb_to_y(red).item() == pytest.approx((16 + 65.481) / 255)


def test_shaved_y_psnr_against_a_hand_computed_value() -> None:
    """A 10 x 10 image off by one Y level inside the 2-pixel border and by 50 levels on it:
    the shaved PSNR sees only the inside, 20 log10(255 / 1)."""
    truth = torch.full((1, 1, 10, 10), 100 / 255)
    pred = truth + 50 / 255
    pred[..., 2:-2, 2:-2] = truth[..., 2:-2, 2:-2] + 1 / 255
    metric = ImagePSNR()
    metric.update(shave(pred, 2), shave(truth, 2))
    assert metric.compute().item() == pytest.approx(20 * math.log10(255), abs=1e-3)
    assert shave(pred, 0) is pred
