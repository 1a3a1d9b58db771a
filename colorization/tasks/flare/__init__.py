"""Lens-flare removal: flared photo -> clean photo, optionally trained pix2pix-style.

The task (:mod:`.task`); whole photos are restored in tiles
(:func:`~colorization.tasks.plugin.tiled_predictor`); its data is
:mod:`colorization.data.flare`."""

from __future__ import annotations

from colorization.lazy import lazy_attributes
from colorization.tasks.plugin import (
    TILE_OPTIONS,
    TaskPlugin,
    tiled_inference_settings,
    tiled_predictor,
)

PLUGIN = TaskPlugin(
    name="flare",
    task_class="colorization.tasks.flare.task.FlareTask",
    tensors=(
        "inputs (N, 3, H, W) float32: flared sRGB in [0, 1]; outputs (N, 3, H, W): the clean "
        "sRGB (clip to [0, 1]); any H and W, larger photos in overlapping tiles"
    ),
    inference_settings=tiled_inference_settings,
    predictor=tiled_predictor,
    predict_options=TILE_OPTIONS,
)

__getattr__ = lazy_attributes(__name__, {"FlareTask": "colorization.tasks.flare.task"})
