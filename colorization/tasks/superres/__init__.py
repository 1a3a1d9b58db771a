"""Super-resolution: a low-resolution photo -> 2, 3 or 4 times larger.

The task (:mod:`.task`), predicted in low-resolution tiles whose outputs are ``scale`` times
larger; measured as the papers' tables are by :mod:`.protocols`; its data is
:mod:`colorization.data.superres` and the photos."""

from __future__ import annotations

from typing import Any

from omegaconf import DictConfig

from colorization.lazy import LazySequence, lazy_attributes, lazy_function
from colorization.tasks.plugin import tiled_inference_settings, tiled_task_plugin


def inference_settings(config: DictConfig) -> dict[str, Any]:
    return {**tiled_inference_settings(config), "scale": int(config.task.scale)}


PLUGIN = tiled_task_plugin(
    name="superres",
    task_class="colorization.tasks.superres.task.SuperResTask",
    tensors=(
        "inputs (N, 3, H, W) float32: low-resolution sRGB in [0, 1]; outputs (N, 3, sH, sW): "
        "the image at scale s (clip to [0, 1]); any H and W, larger photos in overlapping tiles"
    ),
    inference_settings=inference_settings,
    published=LazySequence(f"{__name__}.protocols", "PROTOCOLS"),
    page=lazy_function(f"{__name__}.page", "superres_page"),
)

__getattr__ = lazy_attributes(__name__, {"SuperResTask": "colorization.tasks.superres.task"})
