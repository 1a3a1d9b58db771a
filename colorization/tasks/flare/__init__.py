"""Lens-flare removal: flared photo -> clean photo, optionally trained pix2pix-style.

The task (:mod:`.task`); whole photos are restored in tiles
(:func:`~colorization.tasks.plugin.tiled_predictor`); its data is
:mod:`colorization.data.flare`."""

from __future__ import annotations

from typing import Any

from omegaconf import DictConfig

from colorization.lazy import lazy_attributes
from colorization.tasks.plugin import TILE_OPTIONS, TaskPlugin, tiled_predictor


def inference_settings(config: DictConfig) -> dict[str, Any]:
    return {
        "out_channels": int(config.task.out_channels),
        "tile_size": int(config.task.tile_size),
        "tile_overlap": int(config.task.tile_overlap),
    }


PLUGIN = TaskPlugin(
    name="flare",
    task_class="colorization.tasks.flare.task.FlareTask",
    tensors=(
        "inputs (N, 3, H, W) float32: flared sRGB in [0, 1]; outputs (N, 3, H, W): the clean "
        "sRGB (clip to [0, 1]); any H and W, larger photos in overlapping tiles"
    ),
    inference_settings=inference_settings,
    predictor=tiled_predictor,
    predict_options=TILE_OPTIONS,
)

__getattr__ = lazy_attributes(__name__, {"FlareTask": "colorization.tasks.flare.task"})
