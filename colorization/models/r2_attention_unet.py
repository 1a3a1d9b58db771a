"""R2AttU-Net (Alom et al. 2018, "Recurrent Residual Convolutional Neural Network based on U-Net
(R2U-Net) for Medical Image Segmentation", with the attention gates of Oktay et al. 2018)."""

from __future__ import annotations

from colorization.models.r2_unet import R2UNet


class R2AttentionUNet(R2UNet):
    """R2U-Net with attention gates on the skips."""

    attention = True
