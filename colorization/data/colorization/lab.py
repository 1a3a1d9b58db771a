"""RGB <-> normalised CIE Lab, on batches, with kornia.

The networks see L in [-1, 1] (``L / 50 - 1``) and ab in about [-1, 1] (``ab / 110``).
"""

from __future__ import annotations

import kornia.color
import torch

L_SCALE = 50.0
AB_SCALE = 110.0
AB_LIMIT = 128.0  # |a|, |b| of sRGB colours stay below this


def _full_precision(tensor: torch.Tensor) -> torch.autocast:
    """Colour conversion always runs in float32, also inside an AMP (16-mixed/bf16) step."""
    return torch.autocast(device_type=tensor.device.type, enabled=False)


def rgb_to_normalized_lab(rgb: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Float RGB in [0, 1], shape (B, 3, H, W) -> (L_norm (B, 1, H, W), ab_norm (B, 2, H, W))."""
    with _full_precision(rgb):
        lab = kornia.color.rgb_to_lab(rgb.float())
    return lab[:, :1] / L_SCALE - 1.0, lab[:, 1:] / AB_SCALE


def normalized_lab_to_rgb(l_norm: torch.Tensor, ab_norm: torch.Tensor) -> torch.Tensor:
    """Inverse of :func:`rgb_to_normalized_lab`; returns RGB clipped to [0, 1].

    L and ab are clamped to the valid Lab range first: out-of-gamut values make the cube in the
    Lab -> XYZ step produce NaN gradients (kornia's ``lab_to_rgb`` raises the cube of values
    that can be negative).
    """
    with _full_precision(ab_norm):
        lightness = ((l_norm.float() + 1.0) * L_SCALE).clamp(0.0, 100.0)
        ab = (ab_norm.float() * AB_SCALE).clamp(-AB_LIMIT, AB_LIMIT)
        return kornia.color.lab_to_rgb(torch.cat([lightness, ab], dim=1), clip=True)
