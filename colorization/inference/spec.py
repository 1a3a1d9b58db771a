"""What a trained network needs around it to be used on a photo: its task, its channels, the
normalisation of its tensors and the scale it works at. Read from a run's config, and written
into an exported ONNX file's metadata so that the file alone is enough to predict."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields
from typing import Any

from omegaconf import DictConfig, OmegaConf

TASKS = ("colorization", "segmentation", "flare", "superres")
SPEC_KEY = "colorization.spec"  # ONNX metadata key holding the spec as JSON

# What the tensors of each task's network mean (also written into the ONNX metadata).
TENSORS = {
    "colorization": (
        "inputs (N, 4, H, W) float32: L/50 - 1 (CIE Lab L in [0, 100]), hint a/110, hint b/110 "
        "(0 where no hint), hint mask (1 at hinted pixels, else 0), and with a propagation 2 more: "
        "the hints spread by that method (a/110, b/110), or (N, 1, H, W), L alone, for an "
        "automatic model (in_channels 1); outputs (N, 2, H, W): "
        "a/110, b/110 (combine with the photo's L, then Lab -> sRGB, D65)"
    ),
    "segmentation": (
        "inputs (N, 3, H, W) float32: sRGB * 2 - 1 (RGB in [0, 1] mapped to [-1, 1]); "
        "outputs (N, C, H, W) logits: C = 1 for a binary task (foreground where > 0), else one "
        "per class (argmax)"
    ),
    "flare": (
        "inputs (N, 3, H, W) float32: flared sRGB in [0, 1]; outputs (N, 3, H, W): the clean "
        "sRGB (clip to [0, 1]); any H and W, larger photos in overlapping tiles"
    ),
    "superres": (
        "inputs (N, 3, H, W) float32: low-resolution sRGB in [0, 1]; outputs (N, 3, sH, sW): "
        "the image at scale s (clip to [0, 1]); any H and W, larger photos in overlapping tiles"
    ),
}


@dataclass(frozen=True)
class InferenceSpec:
    """Args:
    task: colorization, segmentation or flare.
    in_channels / out_channels: of the network.
    working_size: the shorter side photos are resized to before the network (colorization and
        segmentation: the scale the network was validated at); outputs are resized back.
    tile_size / tile_overlap: flare, superres: whole photos in overlapping tiles (superres:
        low-resolution tiles).
    scale: superres: the up-sampling factor.
    propagation: colorization: the classical propagation of the hints the network refines (its
        last 2 input channels; ``levin``), or None.
    num_classes / ignore_index / class_names: segmentation.
    model: the network's class (its config ``_target_``), for the record.
    """

    task: str
    in_channels: int
    out_channels: int
    working_size: int | None = None
    tile_size: int | None = None
    tile_overlap: int | None = None
    propagation: str | None = None
    num_classes: int | None = None
    ignore_index: int | None = None
    class_names: tuple[str, ...] | None = None
    scale: int | None = None
    model: str = ""

    def __post_init__(self) -> None:
        if self.task not in TASKS:
            raise ValueError(f"Unknown task {self.task!r}: this version knows {', '.join(TASKS)}.")

    @property
    def tensors(self) -> str:
        return TENSORS[self.task]

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> InferenceSpec:
        data: dict[str, Any] = json.loads(text)
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(
                f"The model's metadata has fields this version does not know ({unknown}): "
                "upgrade colorization, or export the model again with this version."
            )
        if data.get("class_names") is not None:
            data["class_names"] = tuple(data["class_names"])
        return cls(**data)


def task_name(config: DictConfig) -> str:
    """colorization / segmentation / flare / superres from a run config's ``task._target_``."""
    target = str(OmegaConf.select(config, "task._target_", default=""))
    return target.rsplit(".", 1)[-1].removesuffix("Task").lower()


def colorization_working_size(config: DictConfig) -> int:
    """The shorter side of the photos the network was validated on: ``image_size`` times the
    validation grid (2 x 2 views of each built-in photo, one view of a folder photo)."""
    grid = OmegaConf.select(config, "data.val_grid", default=None)
    if grid is None:
        grid = 2 if OmegaConf.select(config, "data.root", default=None) is None else 1
    return int(config.data.image_size) * int(grid)


def spec_from_config(config: DictConfig) -> InferenceSpec:
    """The spec of a run, from the config it recorded."""
    task = task_name(config)
    if task not in TASKS:
        raise ValueError(
            f"The run's task {OmegaConf.select(config, 'task._target_')} has no prediction in "
            f"this version (it knows {', '.join(TASKS)})."
        )
    common = {
        "task": task,
        "in_channels": int(config.task.in_channels),
        "model": str(OmegaConf.select(config, "model._target_", default="")),
    }
    if task == "colorization":
        return InferenceSpec(
            **common,
            out_channels=int(config.task.out_channels),
            working_size=colorization_working_size(config),
            propagation=OmegaConf.select(config, "task.propagation", default=None),
        )
    if task == "segmentation":
        classes = int(config.task.num_classes)
        names = OmegaConf.select(config, "task.class_names", default=None)
        return InferenceSpec(
            **common,
            out_channels=1 if classes == 2 else classes,
            working_size=int(config.data.image_size),
            num_classes=classes,
            ignore_index=OmegaConf.select(config, "task.ignore_index", default=None),
            class_names=tuple(str(n) for n in names) if names is not None else None,
        )
    scale = int(config.task.scale) if task == "superres" else None
    return InferenceSpec(
        **common,
        out_channels=int(config.task.out_channels),
        tile_size=int(config.task.tile_size),
        tile_overlap=int(config.task.tile_overlap),
        scale=scale,
    )
