"""Building blocks shared by every UNet-family model.

Each block is small and composable so that a model variant is a short composition of blocks,
never an edited copy of another model. The blocks follow the public reference implementations
(LeeJunHyun/Image_Segmentation, 4uiiurz1/pytorch-nested-unet): biased convolutions, norm before
activation.
"""

from __future__ import annotations

from typing import Literal

import torch
import torch.nn.functional as F
from torch import nn

NormName = Literal["batch", "instance", "group", "none"]
UpsampleName = Literal["nearest", "bilinear", "transpose"]


def make_norm(norm: NormName, channels: int) -> nn.Module:
    """Return the normalisation layer called ``norm`` for ``channels`` feature maps."""
    if norm == "batch":
        return nn.BatchNorm2d(channels)
    if norm == "instance":
        return nn.InstanceNorm2d(channels, affine=True)
    if norm == "group":
        groups = next(g for g in (32, 16, 8, 4, 2, 1) if channels % g == 0)
        return nn.GroupNorm(groups, channels)
    if norm == "none":
        return nn.Identity()
    raise ValueError(f"Unknown norm {norm!r}; choose one of batch, instance, group, none.")


class ConvNormAct(nn.Sequential):
    """Conv3x3 (biased, as in the reference implementations) -> norm -> ReLU."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        norm: NormName = "batch",
        dilation: int = 1,
        stride: int = 1,
    ) -> None:
        super().__init__(
            nn.Conv2d(
                in_channels, out_channels, 3, stride=stride, padding=dilation, dilation=dilation
            ),
            make_norm(norm, out_channels),
            nn.ReLU(inplace=True),
        )


def _with_dropout(layers: list[nn.Module], dropout: float) -> list[nn.Module]:
    return [*layers, nn.Dropout2d(dropout)] if dropout > 0 else layers


class ConvBlock(nn.Sequential):
    """The UNet double convolution (``conv_block`` / UNet++ ``VGGBlock``):
    [Conv3x3 -> norm -> ReLU] x 2, then optional spatial dropout."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        norm: NormName = "batch",
        dropout: float = 0.0,
    ) -> None:
        layers = [ConvNormAct(in_channels, out_channels, norm)]
        layers.append(ConvNormAct(out_channels, out_channels, norm))
        super().__init__(*_with_dropout(layers, dropout))


class ResidualBlock(nn.Module):
    """Pre-activation residual unit of ResUNet (Zhang, Liu & Wang 2018).

    norm-ReLU-Conv3x3(stride) -norm-ReLU-Conv3x3, plus a Conv3x3(stride) + norm shortcut.
    ``stride=2`` halves the resolution (ResUNet down-samples this way, without max-pooling).
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        norm: NormName = "batch",
        dropout: float = 0.0,
        stride: int = 1,
    ) -> None:
        super().__init__()
        layers = [
            make_norm(norm, in_channels),
            nn.ReLU(inplace=False),
            nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=1),
            make_norm(norm, out_channels),
            nn.ReLU(inplace=True),
            nn.Conv2d(out_channels, out_channels, 3, padding=1),
        ]
        self.body = nn.Sequential(*_with_dropout(layers, dropout))
        self.shortcut = nn.Sequential(
            nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=1),
            make_norm(norm, out_channels),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x) + self.shortcut(x)


class ResidualStem(nn.Module):
    """ResUNet's first unit: Conv-norm-ReLU-Conv on the raw input, plus a Conv3x3 shortcut."""

    def __init__(
        self, in_channels: int, out_channels: int, norm: NormName = "batch", dropout: float = 0.0
    ) -> None:
        super().__init__()
        layers = [
            nn.Conv2d(in_channels, out_channels, 3, padding=1),
            make_norm(norm, out_channels),
            nn.ReLU(inplace=True),
            nn.Conv2d(out_channels, out_channels, 3, padding=1),
        ]
        self.body = nn.Sequential(*_with_dropout(layers, dropout))
        self.shortcut = nn.Conv2d(in_channels, out_channels, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x) + self.shortcut(x)


class RecurrentBlock(nn.Module):
    """Recurrent convolution of R2U-Net (Alom et al. 2018).

    ONE Conv3x3-norm-ReLU ``f`` is applied ``t + 1`` times with shared weights:
    ``h = f(x)``, then ``t`` times ``h = f(x + h)``. Separate convolutions would change the model.
    """

    def __init__(self, channels: int, t: int = 2, norm: NormName = "batch") -> None:
        super().__init__()
        if t < 1:
            raise ValueError(f"model.t (recurrent steps) must be >= 1, got {t}.")
        self.t = t
        self.conv = ConvNormAct(channels, channels, norm)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.conv(x)
        for _ in range(self.t):
            h = self.conv(x + h)
        return h


class RRCNNBlock(nn.Module):
    """Recurrent residual block: Conv1x1 to ``out_channels``, then x + Rec(Rec(x))."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        norm: NormName = "batch",
        dropout: float = 0.0,
        t: int = 2,
    ) -> None:
        super().__init__()
        self.project = nn.Conv2d(in_channels, out_channels, kernel_size=1)
        layers = [RecurrentBlock(out_channels, t, norm), RecurrentBlock(out_channels, t, norm)]
        self.recurrent = nn.Sequential(*_with_dropout(layers, dropout))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.project(x)
        return x + self.recurrent(x)


class DilatedBlock(nn.Sequential):
    """Three Conv3x3-norm-ReLU with dilation (Zhang et al. 2016 conv5/conv6): a wide receptive
    field without down-sampling, used by CUNet at its lowest level."""

    def __init__(
        self, channels: int, dilation: int = 2, norm: NormName = "batch", dropout: float = 0.0
    ) -> None:
        layers = [ConvNormAct(channels, channels, norm, dilation=dilation) for _ in range(3)]
        super().__init__(*_with_dropout(layers, dropout))


class AttentionGate(nn.Module):
    """Additive attention gate (Oktay et al. 2018).

    ``psi = sigmoid(norm(Conv1x1(ReLU(W_g g + W_x x))))``; returns ``x * psi``. ``g`` (the gating
    signal from the coarser path) and ``x`` (the skip) have the same spatial size.
    """

    def __init__(
        self, gate_channels: int, skip_channels: int, inner_channels: int, norm: NormName = "batch"
    ) -> None:
        super().__init__()
        inner_channels = max(1, inner_channels)
        self.w_g = nn.Sequential(
            nn.Conv2d(gate_channels, inner_channels, 1), make_norm(norm, inner_channels)
        )
        self.w_x = nn.Sequential(
            nn.Conv2d(skip_channels, inner_channels, 1), make_norm(norm, inner_channels)
        )
        # GroupNorm/InstanceNorm of a single map would flatten the gate to a constant.
        psi_norm = make_norm(norm if norm == "batch" else "none", 1)
        self.psi = nn.Sequential(nn.Conv2d(inner_channels, 1, 1), psi_norm, nn.Sigmoid())
        self.relu = nn.ReLU(inplace=True)

    def forward(self, g: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        return x * self.psi(self.relu(self.w_g(g) + self.w_x(x)))


class UpBlock(nn.Sequential):
    """Double the spatial size and map ``in_channels`` to ``out_channels``.

    ``nearest`` / ``bilinear``: Upsample x2 -> Conv3x3 -> norm -> ReLU (the reference ``up_conv``);
    with ``conv=False`` only the resampling (UNet++ style; channels must then be equal).
    ``transpose``: a 2x2 stride-2 transposed convolution (Ronneberger et al.).
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        mode: UpsampleName = "nearest",
        norm: NormName = "batch",
        conv: bool = True,
    ) -> None:
        if mode == "transpose":
            super().__init__(nn.ConvTranspose2d(in_channels, out_channels, 2, stride=2))
            return
        if mode not in ("nearest", "bilinear"):
            raise ValueError(
                f"Unknown upsample {mode!r}; choose one of nearest, bilinear, transpose."
            )
        if mode == "nearest":
            upsample = nn.Upsample(scale_factor=2, mode="nearest")
        else:
            upsample = nn.Upsample(scale_factor=2, mode="bilinear", align_corners=True)
        if not conv:
            if in_channels != out_channels:
                raise ValueError("An upsample without conv cannot change the channel count.")
            super().__init__(upsample)
            return
        super().__init__(upsample, ConvNormAct(in_channels, out_channels, norm))


def level_widths(base_width: int, depth: int) -> list[int]:
    """Channels of each level, ``base_width * 2**level`` for levels 0..depth (checked)."""
    if depth < 1:
        raise ValueError(f"model.depth must be >= 1, got {depth}.")
    if base_width < 1:
        raise ValueError(f"model.base_width must be >= 1, got {base_width}.")
    return [base_width * 2**level for level in range(depth + 1)]


def pad_to_multiple(x: torch.Tensor, multiple: int) -> tuple[torch.Tensor, tuple[int, int]]:
    """Replicate-pad the bottom/right of ``x`` so that H and W divide ``multiple``.

    Returns the padded tensor and the original (H, W) so the caller can crop back. This is what
    lets any input size (e.g. 37x53) pass through a network with ``depth`` 2x down-samplings.
    While exporting (ONNX with dynamic height and width) the pad is always recorded, so the
    exported graph pads whatever size it is given, not only the size of the example input.
    """
    height, width = x.shape[-2:]
    pad_h = (-height) % multiple
    pad_w = (-width) % multiple
    if torch.compiler.is_exporting() or pad_h or pad_w:
        x = F.pad(x, (0, pad_w, 0, pad_h), mode="replicate")
    return x, (height, width)


# --- the layers of Zhang et al.'s networks (eccv16, siggraph17) ---------------------------
def conv_relu(
    in_channels: int, out_channels: int, stride: int = 1, dilation: int = 1
) -> list[nn.Module]:
    """A biased 3x3 convolution (padding keeps the size, or halves it at stride 2) and ReLU."""
    conv = nn.Conv2d(in_channels, out_channels, 3, stride, padding=dilation, dilation=dilation)
    return [conv, nn.ReLU(inplace=True)]


def upsample_x2(in_channels: int, out_channels: int, mode: UpsampleName) -> nn.Module:
    """Double the resolution as Zhang et al.'s networks do: a 4x4 stride-2 transposed
    convolution (published), or interpolation (``nearest`` / ``bilinear``) + a 3x3 convolution."""
    if mode == "transpose":
        return nn.ConvTranspose2d(in_channels, out_channels, 4, stride=2, padding=1)
    if mode not in ("nearest", "bilinear"):
        raise ValueError(f"Unknown upsample {mode!r}; choose one of nearest, bilinear, transpose.")
    upsample = nn.Upsample(scale_factor=2, mode=mode)
    return nn.Sequential(upsample, nn.Conv2d(in_channels, out_channels, 3, 1, 1))


def conv_stack(
    in_channels: int,
    channels: int,
    convs: int,
    norm: NormName,
    dilation: int = 1,
    last_stride: int = 1,
    dropout: float = 0.0,
) -> nn.Sequential:
    """One block of Zhang et al.'s encoders: ``convs`` 3x3 convolutions with ReLU (the last at
    ``last_stride``), the norm, then optional spatial dropout."""
    layers: list[nn.Module] = []
    for index in range(convs):
        stride = last_stride if index == convs - 1 else 1
        layers += conv_relu(in_channels if index == 0 else channels, channels, stride, dilation)
    layers.append(make_norm(norm, channels))
    if dropout > 0:
        layers.append(nn.Dropout2d(dropout))
    return nn.Sequential(*layers)
