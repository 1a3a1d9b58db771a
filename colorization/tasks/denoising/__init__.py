"""Denoising: a photo with white Gaussian noise -> the clean photo.

The task (:mod:`.task`), predicted in tiles; evaluated at several noise levels beside classical
denoisers (:mod:`.evaluation`), or as the papers' tables are (:mod:`.protocols`); its data is
:mod:`colorization.data.denoising`."""

from __future__ import annotations

from typing import Any

from omegaconf import DictConfig

from colorization.lazy import LazySequence, lazy_attributes, lazy_function
from colorization.tasks.denoising import evaluation
from colorization.tasks.plugin import Evaluation, tiled_task_plugin


def inference_settings(config: DictConfig) -> dict[str, Any]:
    """The exported network takes and returns RGB photos, grey models included."""
    return {
        "in_channels": 3,
        "out_channels": 3,
        "tile_size": int(config.task.tile_size),
        "tile_overlap": int(config.task.tile_overlap),
        "channels": int(config.task.channels),
    }


PUBLISHED = LazySequence(f"{__name__}.protocols", "PROTOCOLS")

PLUGIN = tiled_task_plugin(
    name="denoising",
    task_class="colorization.tasks.denoising.task.DenoisingTask",
    tensors=(
        "inputs (N, 3, H, W) float32: noisy sRGB in [0, 1]; outputs (N, 3, H, W): the denoised "
        "sRGB (clip to [0, 1]; a grey model's luma on all three channels); any H and W, larger "
        "photos in overlapping tiles"
    ),
    published=PUBLISHED,
    inference_settings=inference_settings,
    evaluation=Evaluation(
        published=PUBLISHED,
        options=evaluation.EVALUATION_OPTIONS,
        protocols=evaluation.sigma_protocols,
        configure=evaluation.configure_evaluation,
        note=evaluation.evaluation_note,
    ),
    page=lazy_function(f"{__name__}.page", "denoising_page"),
)

__getattr__ = lazy_attributes(__name__, {"DenoisingTask": "colorization.tasks.denoising.task"})
