"""Lens-flare removal: flared photo -> clean photo, optionally trained pix2pix-style.

The task (:mod:`.task`), predicted in tiles, measured as the Flare7K++ tables are by
:mod:`.protocols`; its data is :mod:`colorization.data.flare`."""

from __future__ import annotations

from colorization.lazy import LazySequence, lazy_attributes, lazy_function
from colorization.tasks.plugin import tiled_task_plugin

PLUGIN = tiled_task_plugin(
    name="flare",
    task_class="colorization.tasks.flare.task.FlareTask",
    tensors=(
        "inputs (N, 3, H, W) float32: flared sRGB in [0, 1]; outputs (N, 3, H, W): the clean "
        "sRGB (clip to [0, 1]); any H and W, larger photos in overlapping tiles"
    ),
    published=LazySequence(f"{__name__}.protocols", "PROTOCOLS"),
    page=lazy_function(f"{__name__}.page", "flare_page"),
)

__getattr__ = lazy_attributes(__name__, {"FlareTask": "colorization.tasks.flare.task"})
