"""colorization.tasks.tiling: whole images of any size through overlapping tiles."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from colorization.inference.tiling import blend_window, tile_starts, tiled_apply


# --- tiled inference -----------------------------------------------------------------------
def test_tiles_cover_the_length_and_the_last_is_flush() -> None:
    assert tile_starts(10, 16, 4) == [0]
    assert tile_starts(53, 16, 5) == [0, 11, 22, 33, 37]
    with pytest.raises(ValueError, match="overlap"):
        tile_starts(53, 16, 16)
    window = blend_window(16, 16, 4)
    assert window.min() == pytest.approx(1 / 25) and window.max() == 1  # corner: (1/5)^2


@pytest.mark.parametrize("size", [(37, 53), (9, 11), (16, 16), (33, 17)])
def test_tiling_an_identity_model_reproduces_the_image_exactly(size: tuple[int, int]) -> None:
    image = torch.rand(2, 3, *size)
    result = tiled_apply(lambda x: x, image, tile=16, overlap=5, tiles_per_batch=3)
    assert result.shape == image.shape
    assert torch.allclose(result, image, atol=1e-6)
    as_bytes = (image * 255).round().byte()
    tiled = tiled_apply(lambda x: x, as_bytes.float() / 255, tile=16, overlap=5)
    assert torch.equal((tiled * 255).round().byte(), as_bytes)


def test_tiling_a_pixelwise_network_equals_running_it_whole() -> None:
    net = nn.Conv2d(3, 2, 1)
    image = torch.rand(1, 3, 41, 29)
    with torch.no_grad():
        whole = net(image)
    assert torch.allclose(tiled_apply(net, image, tile=16, overlap=4), whole, atol=1e-5)


def test_tiling_needs_a_network_that_keeps_the_size() -> None:
    with pytest.raises(ValueError, match="returns 1x its input.s size"):
        tiled_apply(lambda x: x[..., :-1, :], torch.rand(1, 3, 20, 20), tile=16, overlap=4)


@pytest.mark.parametrize("scale", [2, 3])
def test_tiling_an_upsampling_network_equals_running_it_whole(scale: int) -> None:
    """A super-resolution network returns each tile at ``scale`` x its size; a pixel-local one
    (nearest up-sampling of a 1x1 convolution) gives the same image tiled as whole."""
    net = nn.Sequential(nn.Conv2d(3, 3, 1), nn.Upsample(scale_factor=scale))
    image = torch.rand(2, 3, 23, 37)
    with torch.no_grad():
        whole = net(image)
    tiled = tiled_apply(net, image, tile=10, overlap=3, scale=scale)
    assert tiled.shape == (2, 3, 23 * scale, 37 * scale)
    torch.testing.assert_close(tiled, whole, atol=1e-5, rtol=0)
    with pytest.raises(ValueError, match=f"returns {scale}x its input.s size"):
        tiled_apply(nn.Conv2d(3, 3, 1), image, tile=10, overlap=3, scale=scale)
