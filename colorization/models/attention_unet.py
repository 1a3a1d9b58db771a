"""Attention U-Net (Oktay et al. 2018): U-Net with an additive attention gate on every skip.

Reference settings (base width 64, depth 4, nearest + conv up, 3 -> 1): 34,878,573 parameters.
"""

from __future__ import annotations

from colorization.models.unet import UNet


class AttentionUNet(UNet):
    """U-Net whose skips are gated by the decoder signal: ``attention = True``."""

    attention = True
