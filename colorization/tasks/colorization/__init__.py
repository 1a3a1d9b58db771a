"""Hint-based colorization: L + sparse colour hints -> ab.

The task (:mod:`.task`), its network's input (:mod:`.inputs`), applying a trained network to
photos (:mod:`.inference`, hint files: :mod:`.hint_files`), predict (:mod:`.predict`), evaluate
(:mod:`.evaluation`; the papers' protocols: :mod:`.protocols`) and the interactive page
(:mod:`.page`); its data is
:mod:`colorization.data.colorization`."""

from __future__ import annotations

from typing import Any

from omegaconf import DictConfig, OmegaConf

from colorization.lazy import LazySequence, lazy_attributes, lazy_function
from colorization.tasks.colorization import evaluation, predict_options
from colorization.tasks.plugin import Evaluation, Export, Prediction, TaskPlugin


def working_size(config: DictConfig) -> int:
    """The shorter side of the photos the network was validated on: ``image_size`` times the
    validation grid (2 x 2 views of each built-in photo, one view of a folder photo)."""
    grid = OmegaConf.select(config, "data.val_grid", default=None)
    if grid is None:
        grid = 2 if OmegaConf.select(config, "data.root", default=None) is None else 1
    return int(config.data.image_size) * int(grid)


def inference_settings(config: DictConfig) -> dict[str, Any]:
    return {
        "out_channels": int(config.task.out_channels),
        "working_size": working_size(config),
        "propagation": OmegaConf.select(config, "task.propagation", default=None),
    }


PLUGIN = TaskPlugin(
    name="colorization",
    task_class="colorization.tasks.colorization.task.ColorizationTask",
    export=Export(
        tensors=(
            "inputs (N, 4, H, W) float32: L/50 - 1 (CIE Lab L in [0, 100]), hint a/110, hint "
            "b/110 (0 where no hint), hint mask (1 at hinted pixels, else 0), and with a "
            "propagation 2 more: the hints spread by that method (a/110, b/110), or (N, 1, H, W), "
            "L alone, for an automatic model (in_channels 1); outputs (N, 2, H, W): a/110, b/110 "
            "(combine with the photo's L, then Lab -> sRGB, D65)"
        ),
        inference_settings=inference_settings,
    ),
    predict=Prediction(
        predictor=lazy_function(f"{__name__}.predict", "colorization_predictor"),
        options=predict_options.PREDICT_OPTIONS,
        check_options=predict_options.check_predict_options,
    ),
    evaluate=Evaluation(
        published=LazySequence(f"{__name__}.protocols", "PROTOCOLS"),
        options=evaluation.EVALUATION_OPTIONS,
        protocols=evaluation.hint_protocols,
        configure=evaluation.configure_evaluation,
        note=evaluation.evaluation_note,
    ),
    page=lazy_function(f"{__name__}.page", "colorization_page"),
)

__getattr__ = lazy_attributes(
    __name__, {"ColorizationTask": "colorization.tasks.colorization.task"}
)
