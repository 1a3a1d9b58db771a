"""colorization.data.colorization.lab: RGB <-> normalised Lab."""

import torch

from colorization.data.colorization.lab import normalized_lab_to_rgb, rgb_to_normalized_lab


def test_lab_round_trip_recovers_rgb() -> None:
    rgb = torch.rand(3, 3, 17, 23)
    lightness, ab = rgb_to_normalized_lab(rgb)
    assert torch.allclose(normalized_lab_to_rgb(lightness, ab), rgb, atol=1e-4)


def test_normalised_ranges() -> None:
    corners = torch.tensor([[i >> 2 & 1, i >> 1 & 1, i & 1] for i in range(8)], dtype=torch.float)
    rgb = corners.T.reshape(1, 3, 2, 4)  # the 8 corners of the RGB cube
    lightness, ab = rgb_to_normalized_lab(rgb)
    assert lightness.min() >= -1.0 - 1e-5 and lightness.max() <= 1.0 + 1e-5
    assert ab.abs().max() <= 128 / 110


def test_out_of_gamut_ab_gives_finite_rgb_and_gradients() -> None:
    lightness = torch.zeros(1, 1, 4, 4)
    ab = torch.full((1, 2, 4, 4), 5.0, requires_grad=True)  # far outside any real colour
    rgb = normalized_lab_to_rgb(lightness, ab)
    rgb.sum().backward()
    assert torch.isfinite(rgb).all() and rgb.min() >= 0 and rgb.max() <= 1
    assert torch.isfinite(ab.grad).all()


def test_conversion_stays_float32_under_autocast() -> None:
    rgb = torch.rand(2, 3, 8, 8)
    expected = rgb_to_normalized_lab(rgb)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        lightness, ab = rgb_to_normalized_lab(rgb)
        back = normalized_lab_to_rgb(lightness, ab.bfloat16())
    assert lightness.dtype == ab.dtype == back.dtype == torch.float32
    assert torch.equal(lightness, expected[0]) and torch.equal(ab, expected[1])
