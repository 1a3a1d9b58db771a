"""segmentation_models_pytorch networks as a zoo model: any of its architectures (Unet, Unet++,
MAnet, Linknet, FPN, PSPNet, PAN, DeepLabV3/V3+, UPerNet, Segformer, DPT) over any of its
encoders or timm's (``tu-<timm name>``), with ImageNet weights where the machine has them.

Iakubovskii, *Segmentation Models Pytorch* (github.com/qubvel-org/segmentation_models.pytorch);
Wightman, *PyTorch Image Models* (github.com/huggingface/pytorch-image-models). The network is
smp's own model (``self.model``: the architecture's class, built with the task's channels), so its
parameters and outputs are smp's; this wrapper only adds what every zoo model has here: any
input size (padded to the encoder's stride, cropped back), the framework's ``base_width`` /
``depth`` / ``upsample`` / ``norm`` vocabulary, and the fine-tuning hooks the training loop and
the :class:`~colorization.callbacks.encoder_freezing.EncoderFreezing` callback use.
"""

from __future__ import annotations

from typing import Any, ClassVar

import torch
from torch import nn

from colorization.models.blocks import NormName, UpsampleName, pad_to_multiple
from colorization.models.pretrained import (
    locate_encoder_weights,
    read_state_dict,
    starting_weights_wanted,
)

# The architectures whose decoder has one width per level (``decoder_channels``, a list).
_LEVEL_DECODERS = ("Unet", "UnetPlusPlus", "MAnet")
# smp's names of this project's decoder norms (smp 0.6 cannot initialise its instance norm, and
# has no group norm).
_NORMS = {"batch": "batchnorm", "none": "identity"}


def decoder_width_arguments(architecture: str, base_width: int, depth: int) -> dict[str, Any]:
    """smp's decoder width settings for ``base_width`` (16 gives smp's defaults: a UNet's
    decoder 256, 128, 64, 32, 16 at depth 5)."""
    if architecture in _LEVEL_DECODERS:
        return {"decoder_channels": [base_width * 2 ** (depth - 1 - i) for i in range(depth)]}
    wide = base_width * 16
    widths: dict[str, dict[str, Any]] = {
        "FPN": {"decoder_pyramid_channels": wide, "decoder_segmentation_channels": wide // 2},
        "DeepLabV3": {"decoder_channels": wide},
        "DeepLabV3Plus": {"decoder_channels": wide},
        "UPerNet": {"decoder_channels": wide},
        "Segformer": {"decoder_segmentation_channels": wide},
        "PAN": {"decoder_channels": base_width * 2},
        "PSPNet": {"psp_out_channels": base_width * 32},
    }
    if architecture not in widths and base_width != 16:
        raise ValueError(
            f"smp's {architecture} has no decoder width: leave model.base_width at 16."
        )
    return widths.get(architecture, {})


def _check_encoder_name(encoder: str) -> None:
    """An unknown encoder stops with the fix (smp raises a KeyError, timm a RuntimeError)."""
    if encoder.startswith("tu-"):
        import timm

        if not timm.is_model(encoder.removeprefix("tu-").split(".")[0]):
            raise ValueError(
                f"model.encoder={encoder}: timm has no model "
                f"{encoder.removeprefix('tu-')} (timm.list_models() lists them)."
            )
        return
    from segmentation_models_pytorch.encoders import get_encoder_names

    if encoder not in get_encoder_names():
        raise ValueError(
            f"model.encoder={encoder} is not an smp encoder: give one of "
            "segmentation_models_pytorch.encoders.get_encoder_names() (resnet18, resnet34, "
            "efficientnet-b0, mobilenet_v2, ...) or tu-<timm model>."
        )


def _accepts(architecture: type, argument: str) -> bool:
    import inspect

    return argument in inspect.signature(architecture.__init__).parameters


class SmpNetwork(nn.Module):
    """An smp model with the task's channels.

    Args:
        in_channels / out_channels: set by the task (smp's ``in_channels`` and ``classes``).
        architecture: an smp architecture class name (``Unet``, ``UnetPlusPlus``, ``FPN``, ...).
        encoder: an smp encoder name (``resnet34``) or ``tu-<timm model>`` for any timm encoder.
        encoder_weights: ``None`` (random init), a name smp offers for the encoder
            (``imagenet``; for ``tu-`` encoders timm's pretrained tag), or a file path. Found
            locally only (:mod:`.pretrained`); with ``in_channels`` != 3 the first convolution
            is adapted as smp does (summed for 1 channel, RGB weights repeated and rescaled
            for more).
        base_width: the decoder's width at full resolution (16: smp's defaults).
        depth: smp's ``encoder_depth``, the number of down-samplings (1-5).
        upsample: the decoder's interpolation (``nearest`` or ``bilinear``).
        norm: the decoder's normalisation (``batch`` or ``none``).
        input_normalization: ``auto`` (ImageNet mean/std when pretrained weights are asked for
            and the task feeds RGB), ``imagenet`` or ``none``. Colorization feeds L + hints, not
            RGB: nothing is normalised there (auto), and ``imagenet`` stops with an error.
        freeze_encoder_epochs: epochs the encoder is frozen for (weights and norm statistics)
            before it is trained too; the EncoderFreezing callback applies it.
        encoder_lr_scale: the encoder's learning rate relative to the optimizer's (e.g. 0.1).
        options: further keyword arguments of the smp architecture (e.g.
            ``decoder_attention_type: scse``).
    """

    library: ClassVar[str] = "segmentation_models_pytorch"

    def __init__(
        self,
        in_channels: int = 3,
        out_channels: int = 1,
        architecture: str = "Unet",
        encoder: str = "resnet34",
        encoder_weights: str | None = None,
        base_width: int = 16,
        depth: int = 5,
        upsample: UpsampleName = "nearest",
        norm: NormName = "batch",
        input_normalization: str = "auto",
        freeze_encoder_epochs: int = 0,
        encoder_lr_scale: float = 1.0,
        options: dict[str, Any] | None = None,
    ) -> None:
        super().__init__()
        import segmentation_models_pytorch as smp

        model_class = smp.MODEL_ARCHITECTURES_MAPPING.get(architecture.lower())
        if model_class is None:
            known = sorted(a.__name__ for a in smp.MODEL_ARCHITECTURES_MAPPING.values())
            raise ValueError(
                f"model.architecture={architecture} is not an smp architecture; choose one of "
                f"{', '.join(known)}."
            )
        architecture = model_class.__name__
        _check_encoder_name(encoder)
        if not 1 <= depth <= 5:
            raise ValueError(f"model.depth (smp's encoder_depth) must be 1-5, got {depth}.")
        if base_width < 1:
            raise ValueError(f"model.base_width must be >= 1, got {base_width}.")
        if input_normalization not in ("auto", "imagenet", "none"):
            raise ValueError(
                f"model.input_normalization must be auto, imagenet or none, got "
                f"{input_normalization}."
            )
        if freeze_encoder_epochs < 0 or encoder_lr_scale < 0:
            raise ValueError("model.freeze_encoder_epochs and model.encoder_lr_scale must be >= 0.")
        arguments = {
            **decoder_width_arguments(architecture, base_width, depth),
            **self._decoder_style(model_class, upsample, norm),
            **dict(options or {}),
        }
        self.encoder_name = encoder
        self.encoder_weights = encoder_weights
        self.in_channels, self.out_channels = in_channels, out_channels
        self.depth = depth
        self.input_normalization = input_normalization
        self.freeze_encoder_epochs = freeze_encoder_epochs
        self.encoder_lr_scale = encoder_lr_scale
        weights_file = None
        timm_encoder = encoder.startswith("tu-")
        if encoder_weights is not None and starting_weights_wanted():
            weights_file = locate_encoder_weights(encoder, str(encoder_weights))
            if timm_encoder:  # timm reads the file and adapts the first layer
                read_state_dict(weights_file)  # a file that is no state dict stops here, named
                arguments["pretrained_cfg_overlay"] = {"file": str(weights_file)}
        self.model = model_class(
            encoder_name=encoder,
            encoder_depth=depth,
            encoder_weights=True if weights_file and timm_encoder else None,
            in_channels=in_channels,
            classes=out_channels,
            **arguments,
        )
        if weights_file is not None and not timm_encoder:
            self._load_smp_encoder(weights_file)
        self.register_buffer("input_mean", torch.zeros(0), persistent=False)
        self.register_buffer("input_std", torch.ones(0), persistent=False)

    @staticmethod
    def _decoder_style(model_class: type, upsample: str, norm: str) -> dict[str, Any]:
        style: dict[str, Any] = {}
        if upsample not in ("nearest", "bilinear"):
            raise ValueError(
                f"model.upsample={upsample} is not available for smp models: nearest or bilinear."
            )
        if _accepts(model_class, "decoder_interpolation"):
            style["decoder_interpolation"] = upsample
        if norm not in _NORMS:
            raise ValueError(f"model.norm={norm} is not available for smp models: batch or none.")
        if _accepts(model_class, "decoder_use_norm"):
            style["decoder_use_norm"] = _NORMS[norm]
        return style

    def _load_smp_encoder(self, path: Any) -> None:
        """The file's weights into the encoder, as smp's ``get_encoder`` loads its own: into a
        3-channel encoder, whose first convolution is then adapted to ``in_channels``."""
        from segmentation_models_pytorch.encoders import get_encoder

        rgb = get_encoder(self.encoder_name, in_channels=3, depth=self.depth, weights=None)
        try:
            rgb.load_state_dict(read_state_dict(path))
        except RuntimeError as error:
            raise ValueError(
                f"{path} does not hold the weights of encoder {self.encoder_name}: {error}"
            ) from error
        rgb.set_in_channels(self.in_channels, pretrained=True)
        self.model.encoder.load_state_dict(rgb.state_dict())

    # --- what the task and the training loop use -------------------------------------------
    def set_input_range(self, input_range: tuple[float, float] | None) -> None:
        """Called by the task: its inputs are RGB scaled to ``input_range`` (None: not RGB).
        Sets the ImageNet normalisation the encoder's pretrained weights expect, if any."""
        wanted = self.input_normalization == "imagenet" or (
            self.input_normalization == "auto" and self.encoder_weights is not None
        )
        if not wanted:
            return
        if input_range is None or self.in_channels != 3:
            if self.input_normalization == "imagenet":
                raise ValueError(
                    "model.input_normalization=imagenet needs RGB inputs, but this task feeds "
                    f"{self.in_channels} channels that are not RGB: use auto or none."
                )
            return
        low, high = input_range
        mean, std = torch.tensor(self._encoder_mean_std())
        # x in [low, high] -> (x01 - mean) / std, with x01 = (x - low) / (high - low)
        self.input_mean = (low + mean * (high - low)).view(1, 3, 1, 1)
        self.input_std = (std * (high - low)).view(1, 3, 1, 1)

    def _encoder_mean_std(self) -> tuple[tuple[float, ...], tuple[float, ...]]:
        """timm's pretrained config for ``tu-`` encoders; ImageNet's for smp's own (every smp
        encoder with ``imagenet`` weights was trained on ImageNet-standardised RGB)."""
        import timm
        from timm.data import IMAGENET_DEFAULT_MEAN, IMAGENET_DEFAULT_STD

        if self.encoder_name.startswith("tu-"):
            config = timm.models.get_pretrained_cfg(self.encoder_name.removeprefix("tu-"))
            if config is not None and len(config.mean) == 3:
                return tuple(config.mean), tuple(config.std)
        return IMAGENET_DEFAULT_MEAN, IMAGENET_DEFAULT_STD

    def parameter_groups(self) -> list[dict[str, Any]]:
        """The encoder's parameters with their learning-rate scale (none when it is 1)."""
        if self.encoder_lr_scale == 1.0:
            return []
        encoder = list(self.model.encoder.parameters())
        return [{"params": encoder, "lr_scale": self.encoder_lr_scale}]

    def freeze_encoder(self) -> None:
        self.model.freeze_encoder()

    def unfreeze_encoder(self) -> None:
        self.model.unfreeze_encoder()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.input_mean.numel():
            x = (x - self.input_mean) / self.input_std
        stride = int(getattr(self.model.encoder, "output_stride", 2**self.depth))
        x, (height, width) = pad_to_multiple(x, stride)
        return self.model(x)[..., :height, :width]
