"""MATLAB's ``imresize(image, scale, 'bicubic')`` on batches: the degradation that made the
low-resolution images of DIV2K and of every super-resolution benchmark table (Set5, Set14, B100,
Urban100, Manga109).

MATLAB's kernel is Keys' cubic with a = -0.5, stretched by ``1 / scale`` when down-sampling
(antialiasing), its weights renormalised at every output pixel, the image mirrored at its
borders. torch's antialiased bicubic down-sampling (``F.interpolate(..., antialias=True)``, PIL's)
comes close to it, but torch's bicubic up-sampling uses a = -0.75, so a bicubic baseline made
with torch is not the one the tables list. This module follows MATLAB's documented algorithm
(``imresize``'s ``contributions``), as BasicSR's ``matlab_functions.imresize`` (XPixelGroup/
BasicSR) and Son's ``bicubic_pytorch`` do, and is tested against both to within one 8-bit level:
each dimension becomes one dense weight matrix (the borders folded into it), so a resize is two
matrix products on the batch's device.
"""

from __future__ import annotations

import math

import torch

KERNEL_WIDTH = 4.0  # the cubic kernel's support, in input pixels


def cubic(x: torch.Tensor) -> torch.Tensor:
    """Keys' cubic convolution kernel with a = -0.5, MATLAB's."""
    ax = x.abs()
    near = (1.5 * ax**3 - 2.5 * ax**2 + 1) * (ax <= 1)
    far = (-0.5 * ax**3 + 2.5 * ax**2 - 4 * ax + 2) * ((ax > 1) & (ax <= 2))
    return near + far


def resize_matrix(
    in_length: int, out_length: int, scale: float, antialias: bool = True
) -> torch.Tensor:
    """(out_length, in_length) float64 weights: output pixel i is ``weights[i] @ input``.

    MATLAB's ``contributions``: output pixel x (1-based) sits at input coordinate
    ``u = x / scale + (1 - 1 / scale) / 2``; when down-sampling with antialiasing the kernel is
    stretched by ``1 / scale``; each row is normalised to sum to 1; taps outside the image are
    mirrored back in (``[1..n, n..1]`` repeated), so their weights add to the mirrored pixels.
    """
    stretch = scale if (scale < 1 and antialias) else 1.0
    width = KERNEL_WIDTH / stretch
    x = torch.arange(1, out_length + 1, dtype=torch.float64)
    u = x / scale + 0.5 * (1 - 1 / scale)
    left = torch.floor(u - width / 2)
    taps = math.ceil(width) + 2
    indices = left[:, None] + torch.arange(taps, dtype=torch.float64)[None, :]
    weights = stretch * cubic(stretch * (u[:, None] - indices))
    weights = weights / weights.sum(dim=1, keepdim=True)
    mirrored = torch.cat([torch.arange(in_length), torch.arange(in_length - 1, -1, -1)])
    columns = mirrored[(indices.long() - 1).remainder(2 * in_length)]
    matrix = torch.zeros(out_length, in_length, dtype=torch.float64)
    return matrix.scatter_add_(1, columns, weights)


def matlab_imresize(
    images: torch.Tensor, scale: float | None = None, size: tuple[int, int] | None = None
) -> torch.Tensor:
    """Float images (..., H, W) resized by ``scale`` (output sides ``ceil(H * scale)``, as
    MATLAB's) or to ``size`` (H, W); not rounded or clipped. Height first, then width (MATLAB
    resizes the dimension with the smaller scale first; both orders agree to rounding)."""
    height, width = images.shape[-2:]
    if size is None:
        if scale is None or scale <= 0:
            raise ValueError(f"matlab_imresize needs a positive scale or a size, got {scale}.")
        size = (math.ceil(height * scale), math.ceil(width * scale))
    out_height, out_width = size
    scale_h = scale if scale is not None else out_height / height
    scale_w = scale if scale is not None else out_width / width
    rows = resize_matrix(height, out_height, scale_h).to(images.device, torch.float32)
    cols = resize_matrix(width, out_width, scale_w).to(images.device, torch.float32)
    with torch.autocast(images.device.type, enabled=False):
        return rows @ images.float() @ cols.T


def to_8bit(images: torch.Tensor) -> torch.Tensor:
    """[0, 1] floats rounded to the nearest 8-bit level (what saving a PNG does), still float."""
    return (images.clamp(0, 1) * 255).round() / 255
