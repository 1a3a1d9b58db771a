"""MATLAB's bicubic imresize: against values of independent implementations, and by hand."""

from __future__ import annotations

import pytest
import torch

from colorization.data.superres.degradation import bicubic_downsample
from colorization.data.superres.matlab_resize import matlab_imresize, resize_matrix

# A fixed 12 x 12 grey image: (37 i + 91 j + 13 i j) mod 256.
_I, _J = torch.meshgrid(torch.arange(12), torch.arange(12), indexing="ij")
FIXED = ((_I * 37 + _J * 91 + _I * _J * 13) % 256).float()

# FIXED down-sampled by BasicSR's ``matlab_functions.imresize`` (XPixelGroup/BasicSR 1.4.2, the
# Python port of MATLAB's imresize most SR papers use) and rounded to 8 bits; Son's
# ``bicubic_pytorch`` (0.1.2.1) gives the same levels.
REFERENCE = {
    2: [
        [72, 131, 113, 130, 148, 157],
        [132, 149, 136, 150, 133, 92],
        [141, 147, 137, 172, 99, 120],
        [133, 123, 132, 157, 125, 116],
        [92, 153, 144, 158, 111, 119],
        [117, 84, 104, 140, 167, 153],
    ],
    3: [
        [105, 122, 142, 140],
        [144, 146, 147, 103],
        [125, 138, 146, 115],
        [106, 111, 150, 143],
    ],
    4: [[117, 135, 134], [138, 148, 115], [109, 133, 142]],
}


@pytest.mark.parametrize("scale", [2, 3, 4])
def test_downsampling_matches_the_independent_implementations_within_one_level(
    scale: int,
) -> None:
    low = matlab_imresize(FIXED[None, None] / 255, 1 / scale)[0, 0]
    levels = (low.clamp(0, 1) * 255).round()
    expected = torch.tensor(REFERENCE[scale], dtype=torch.float32)
    assert levels.shape == expected.shape
    assert (levels - expected).abs().max() <= 1


def test_a_constant_image_stays_constant_to_its_borders() -> None:
    for scale in (1 / 2, 1 / 3, 1 / 4, 2.0, 3.0):
        out = matlab_imresize(torch.full((1, 3, 13, 17), 0.4), scale)
        torch.testing.assert_close(out, torch.full_like(out, 0.4))


def test_a_ramp_is_sampled_at_the_centres_of_the_pixels_it_merges() -> None:
    """A cubic kernel reproduces linear functions: away from the borders, output pixel i of a
    2x down-sampling of the ramp f(x) = x is the mean position of input pixels 2i and 2i + 1."""
    ramp = torch.arange(24.0).expand(1, 1, 4, 24)
    out = matlab_imresize(ramp, 1 / 2)[0, 0, 0]
    interior = torch.arange(2, 10)
    torch.testing.assert_close(out[interior], 2.0 * interior + 0.5)


def test_sizes_are_matlabs_rounded_up_and_weights_sum_to_one() -> None:
    assert matlab_imresize(torch.zeros(1, 1, 13, 10), 1 / 3).shape[-2:] == (5, 4)
    assert matlab_imresize(torch.zeros(1, 1, 5, 4), size=(15, 12)).shape[-2:] == (15, 12)
    for n_in, n_out, scale in ((12, 6, 0.5), (10, 30, 3.0), (7, 3, 3 / 7)):
        torch.testing.assert_close(
            resize_matrix(n_in, n_out, scale).sum(dim=1), torch.ones(n_out, dtype=torch.float64)
        )


def test_it_is_not_torchs_bicubic() -> None:
    image = FIXED[None, None].expand(1, 3, 12, 12) / 255
    matlab = bicubic_downsample(image, 2, "matlab")
    torch_kernel = bicubic_downsample(image, 2, "torch")
    assert (matlab - torch_kernel).abs().max() * 255 >= 1
    expected = torch.tensor(REFERENCE[2], dtype=torch.float32)
    assert (matlab[0, 0] * 255 - expected).abs().max() <= 1
