"""Nested Attention UNet (Li et al., ICIP 2020, "Attention UNet++: A Nested Attention-Aware U-Net
for Liver CT Image Segmentation"): UNet++ with attention gates on the nested skips."""

from __future__ import annotations

from colorization.models.nested_unet import NestedUNet


class NestedAttentionUNet(NestedUNet):
    """UNet++ whose same-level inputs of node ``X(i, j)`` pass an attention gate driven by the
    up-sampled ``X(i+1, j-1)`` (F_l = width of level i, F_int = half of it; one gate per node,
    shared by that node's same-level inputs)."""

    attention = True
