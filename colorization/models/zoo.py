"""The model zoo as configured: every ``conf/model/*.yaml``, buildable by name.

Reading the YAML files (instead of a hand-kept list) keeps "adding a model = one module + one
YAML": the new model shows up here, in ``python -m colorization.models`` and in the tests. A
model's YAML, its module in ``colorization/models/`` and its name here are the same word; a YAML
holding only ``defaults: [<name>]`` is an alias kept for an older name.
"""

from __future__ import annotations

from typing import Any

from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf
from torch import nn

from colorization import config_dir

# The public reference implementations: (model, settings, parameter count), 3 -> 1 channels
# unless the settings say otherwise. LeeJunHyun/Image_Segmentation network.py (U_Net, AttU_Net,
# R2U_Net, R2AttU_Net), 4uiiurz1/pytorch-nested-unet archs.py (NestedUNet), and
# richzhang/colorization (eccv16: 1 -> 2; siggraph17: 4 -> 2, without its 529-class side head),
# yjn870/RDN-pytorch (rdn: the paper's 16 x 8 blocks, x2, 3 -> 3), cszn/DnCNN
# TrainingCodes/dncnn_pytorch (dncnn: DnCNN-S, 17 layers, grey; cdncnn_b: the blind colour
# variant, 20 layers), and segmentation_models_pytorch's own ``smp.Unet("resnet34")`` (smp_unet:
# the ResNet-34 UNet, smp's defaults).
REFERENCE_PRESETS: dict[str, tuple[str, dict[str, Any], int]] = {
    "unet": ("unet", {"base_width": 64, "depth": 4, "upsample": "nearest"}, 34_527_041),
    "attention_unet": (
        "attention_unet",
        {"base_width": 64, "depth": 4, "upsample": "nearest"},
        34_878_573,
    ),
    "r2_unet": ("r2_unet", {"base_width": 64, "depth": 4, "upsample": "nearest"}, 39_091_393),
    "r2_attention_unet": (
        "r2_attention_unet",
        {"base_width": 64, "depth": 4, "upsample": "nearest"},
        39_442_925,
    ),
    "nested_unet": (
        "nested_unet",
        {"base_width": 32, "depth": 4, "upsample": "bilinear"},
        9_163_329,
    ),
    "eccv16": ("eccv16", {"base_width": 64, "in_channels": 1, "out_channels": 2}, 32_236_011),
    "siggraph17": (
        "siggraph17",
        {"base_width": 64, "in_channels": 4, "out_channels": 2},
        34_051_074,
    ),
    "rdn": (
        "rdn",
        {"base_width": 64, "preset": "paper", "scale": 2, "in_channels": 3, "out_channels": 3},
        22_123_395,
    ),
    "dncnn": (
        "dncnn",
        {"base_width": 64, "depth": 17, "in_channels": 1, "out_channels": 1},
        556_096,
    ),
    "cdncnn_b": (
        "dncnn",
        {"base_width": 64, "depth": 20, "in_channels": 3, "out_channels": 3},
        669_376,
    ),
    "smp_unet": ("smp", {"encoder": "resnet34", "depth": 5, "base_width": 16}, 24_436_369),
}


def _model_config(name: str) -> DictConfig:
    path = config_dir() / "model" / f"{name}.yaml"
    if not path.is_file():
        raise ValueError(f"Unknown model {name!r}; choose one of {', '.join(model_names())}.")
    return OmegaConf.load(path)


def model_aliases() -> dict[str, str]:
    """Older names still accepted by ``model=``: alias -> model name."""
    aliases = {}
    for path in sorted((config_dir() / "model").glob("*.yaml")):
        cfg = OmegaConf.load(path)
        if "_target_" not in cfg:
            aliases[path.stem] = next(str(d) for d in cfg.defaults if d != "_self_")
    return aliases


def model_names() -> list[str]:
    """Names of every ``model=`` option (aliases left out)."""
    paths = (config_dir() / "model").glob("*.yaml")
    return sorted(path.stem for path in paths if "_target_" in OmegaConf.load(path))


def wrapped_library(name: str) -> str | None:
    """The library whose network ``model=<name>`` wraps (``library`` of its class), or None
    for the networks written here. Imports the model's module."""
    from hydra.utils import get_class

    cfg = _model_config(model_aliases().get(name, name))
    return getattr(get_class(cfg._target_), "library", None)


def build_model(
    name: str, in_channels: int = 3, out_channels: int = 1, **overrides: Any
) -> nn.Module:
    """Instantiate ``conf/model/<name>.yaml`` for the given channels and field overrides."""
    name = model_aliases().get(name, name)
    cfg = _model_config(name)
    cfg._partial_ = False
    cfg.in_channels = in_channels
    cfg.out_channels = out_channels
    for key, value in overrides.items():
        cfg[key] = value
    return instantiate(cfg)


def build_reference(name: str) -> nn.Module:
    """A model at its public reference settings (see :data:`REFERENCE_PRESETS`)."""
    model, settings, _ = REFERENCE_PRESETS[name]
    return build_model(model, **{"in_channels": 3, "out_channels": 1, **settings})


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
