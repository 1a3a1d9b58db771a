"""Bicubic degradation and the Y channel, on batches, on the model's device.

Low-resolution inputs are the high-resolution image down-sampled by bicubic interpolation with
antialiasing, then rounded to 8 bits as a saved LR image is: ``matlab`` is MATLAB's ``imresize``
(:mod:`.matlab_resize`), which made DIV2K's and the benchmark sets' LR images, so that a model
trained here meets the inputs the papers test with; ``torch`` is ``F.interpolate(mode="bicubic",
antialias=True)`` (the kernel of PIL's ``Image.resize(BICUBIC)``), close to MATLAB's but not
equal (another cubic kernel and border handling).
"""

from __future__ import annotations

from typing import Literal

import torch
from torch.nn import functional as F

from colorization.data.superres.matlab_resize import matlab_imresize, to_8bit

Degradation = Literal["matlab", "torch"]
DEGRADATIONS = ("matlab", "torch")


def crop_to_multiple(image: torch.Tensor, scale: int) -> torch.Tensor:
    """The top-left part of ``image`` (..., H, W) whose sides are multiples of ``scale``."""
    height, width = image.shape[-2:]
    return image[..., : height - height % scale, : width - width % scale]


def bicubic_downsample(hr: torch.Tensor, scale: int, kernel: Degradation = "torch") -> torch.Tensor:
    """RGB in [0, 1] (B, 3, H, W), sides multiples of ``scale`` -> (B, 3, H/s, W/s), 8-bit,
    by MATLAB's ``imresize`` (``kernel="matlab"``) or torch's antialiased bicubic."""
    if kernel == "matlab":
        return to_8bit(matlab_imresize(hr, 1 / scale))
    with torch.autocast(hr.device.type, enabled=False):
        lr = F.interpolate(
            hr.float(), scale_factor=1 / scale, mode="bicubic", antialias=True, align_corners=False
        )
    return to_8bit(lr)


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
