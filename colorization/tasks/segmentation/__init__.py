"""Segmentation: RGB image -> binary or multiclass mask.

The task (:mod:`.task`), applying a trained network to photos (:mod:`.inference`) and the
dataset-level protocol of the benchmarks (:mod:`.protocols`); its data is
:mod:`colorization.data.segmentation`."""

from __future__ import annotations

from typing import Any

from omegaconf import DictConfig, OmegaConf

from colorization.lazy import LazySequence, lazy_attributes, lazy_function
from colorization.tasks.plugin import (
    WORKING_SIZE_OPTION,
    Evaluation,
    Export,
    Prediction,
    TaskPlugin,
)


def inference_settings(config: DictConfig) -> dict[str, Any]:
    classes = int(config.task.num_classes)
    names = OmegaConf.select(config, "task.class_names", default=None)
    return {
        "out_channels": 1 if classes == 2 else classes,
        "working_size": int(config.data.image_size),
        "num_classes": classes,
        "ignore_index": OmegaConf.select(config, "task.ignore_index", default=None),
        "class_names": [str(name) for name in names] if names is not None else None,
    }


PLUGIN = TaskPlugin(
    name="segmentation",
    task_class="colorization.tasks.segmentation.task.SegmentationTask",
    export=Export(
        tensors=(
            "inputs (N, 3, H, W) float32: sRGB * 2 - 1 (RGB in [0, 1] mapped to [-1, 1]); "
            "outputs (N, C, H, W) logits: C = 1 for a binary task (foreground where > 0), else "
            "one per class (argmax)"
        ),
        inference_settings=inference_settings,
    ),
    predict=Prediction(
        predictor=lazy_function(f"{__name__}.inference", "segmentation_predictor"),
        options=(WORKING_SIZE_OPTION,),
    ),
    evaluate=Evaluation(published=LazySequence(f"{__name__}.protocols", "PROTOCOLS")),
    page=lazy_function(f"{__name__}.page", "segmentation_page"),
)

__getattr__ = lazy_attributes(
    __name__, {"SegmentationTask": "colorization.tasks.segmentation.task"}
)
