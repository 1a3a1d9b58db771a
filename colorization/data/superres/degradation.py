"""Bicubic degradation and the Y channel, on batches, on the model's device.

Low-resolution inputs are the high-resolution image down-sampled by bicubic interpolation with
antialiasing (torch's ``F.interpolate(mode="bicubic", antialias=True)``, the kernel of PIL's
``Image.resize(BICUBIC)``: within 2 grey levels of it, tested), then rounded to 8 bits as a
saved LR image is. MATLAB's
``imresize``, which made DIV2K's and the benchmark sets' LR images, differs from it slightly
(its own kernel normalisation at the borders): numbers here are close to, not equal to, those
papers'.
"""

from __future__ import annotations

import torch
from torch.nn import functional as F


def crop_to_multiple(image: torch.Tensor, scale: int) -> torch.Tensor:
    """The top-left part of ``image`` (..., H, W) whose sides are multiples of ``scale``."""
    height, width = image.shape[-2:]
    return image[..., : height - height % scale, : width - width % scale]


def bicubic_downsample(hr: torch.Tensor, scale: int) -> torch.Tensor:
    """RGB in [0, 1] (B, 3, H, W), sides multiples of ``scale`` -> (B, 3, H/s, W/s), 8-bit."""
    with torch.autocast(hr.device.type, enabled=False):
        lr = F.interpolate(
            hr.float(), scale_factor=1 / scale, mode="bicubic", antialias=True, align_corners=False
        )
    return (lr.clamp(0, 1) * 255).round() / 255


def bicubic_upsample(lr: torch.Tensor, scale: int) -> torch.Tensor:
    """The bicubic up-sampling baseline (and a UNet's input), clipped to [0, 1]."""
    with torch.autocast(lr.device.type, enabled=False):
        up = F.interpolate(lr.float(), scale_factor=scale, mode="bicubic", align_corners=False)
    return up.clamp(0, 1)


def rgb_to_y(rgb: torch.Tensor) -> torch.Tensor:
    """The Y (luma) of ITU-R BT.601 as MATLAB's ``rgb2ycbcr`` computes it, in [16, 235] / 255:
    the channel super-resolution papers report PSNR and SSIM on. (B, 3, H, W) -> (B, 1, H, W)."""
    weights = torch.tensor([65.481, 128.553, 24.966], device=rgb.device).view(1, 3, 1, 1)
    return (16.0 + (rgb.float() * weights).sum(dim=1, keepdim=True)) / 255.0


def shave(image: torch.Tensor, border: int) -> torch.Tensor:
    """``image`` without ``border`` pixels on each side (the literature leaves out ``scale``)."""
    if border == 0:
        return image
    return image[..., border:-border, border:-border]
