"""Identity: a photo -> the same photo (a task written from docs/architecture.md's recipe)."""

from __future__ import annotations

from typing import Any

from omegaconf import DictConfig

from colorization.lazy import LazySequence, lazy_attributes
from colorization.tasks.plugin import tiled_task_plugin


def inference_settings(config: DictConfig) -> dict[str, Any]:
    return {"out_channels": int(config.task.out_channels)}


PLUGIN = tiled_task_plugin(
    name="identity",
    task_class="colorization.tasks.identity.task.IdentityTask",
    tensors="inputs (N, 3, H, W) float32: sRGB in [0, 1]; outputs (N, 3, H, W): the same",
    published=LazySequence(f"{__name__}.protocols", "PROTOCOLS"),
    inference_settings=inference_settings,
)

__getattr__ = lazy_attributes(__name__, {"IdentityTask": "colorization.tasks.identity.task"})
