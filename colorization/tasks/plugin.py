"""What a task tells the rest of the framework: the contract of a task plugin.

A task is one sub-package of :mod:`colorization.tasks` whose ``__init__`` defines ``PLUGIN``, a
:class:`TaskPlugin` (found by :mod:`.registry`), plus one data sub-package of
:mod:`colorization.data` and two YAML files (``conf/task/<name>.yaml``, ``conf/data/...``). The
commands (``predict``, ``evaluate``, ``export``, the page) know tasks only through this
contract, so none of them has a branch or a table for a particular task.

The plugin is light on purpose: importing it imports neither torch, Lightning nor the task's
LightningModule (:attr:`TaskPlugin.task_class` names it; :meth:`TaskPlugin.load_task_class`
imports it), so a model exported to ONNX predicts without Lightning and a command answers
``--help`` and argument errors before torch is imported: the plugin names its heavy functions
and protocols with :func:`colorization.lazy.lazy_function` and
:class:`colorization.lazy.LazySequence` (tested).
"""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from omegaconf import DictConfig

if TYPE_CHECKING:
    import torch

    from colorization.tasks.published import PublishedProtocol

# file-name suffix ("" for the main output) -> uint8 image (C, H, W)
Outputs = dict[str, "torch.Tensor"]
# (path of an input image, the image as uint8 RGB (3, H, W)) -> what predict writes for it
Predictor = Callable[[Path, "torch.Tensor"], Outputs]
# how a command stops on a bad option (``parser.error``)
Failure = Callable[[str], NoReturn]


@dataclass(frozen=True)
class Option:
    """A command-line option a task adds to a command: ``argparse``'s ``add_argument(*flags,
    **settings)``. Tasks that share an option (the same ``flags``) declare it alike."""

    flags: tuple[str, ...]
    settings: Mapping[str, Any] = field(default_factory=dict)

    @property
    def dest(self) -> str:
        return self.flags[0].lstrip("-").replace("-", "_")


@dataclass(frozen=True)
class EvaluationProtocol:
    """One way of testing a trained task: ``name`` and ``setting`` label its rows in
    ``evaluation.csv``; ``setup(task)`` is a context manager the test runs inside (e.g. the
    colorization task with other hints), or None for the task as trained."""

    name: str
    setting: str = ""
    setup: Callable[[Any], AbstractContextManager[None]] | None = None

    def applied_to(self, task: Any) -> AbstractContextManager[None]:
        return nullcontext() if self.setup is None else self.setup(task)


@dataclass(frozen=True)
class TaskPlugin:
    """Args:
    name: the task's name: ``task=<name>``, its run folders, ``InferenceSpec.task``.
    task_class: the dotted path of its LightningModule (imported only when a task is built).
    tensors: what the inputs and outputs of its exported network mean (ONNX metadata).
    inference_settings: from a run's config, what its network needs around it to be used on a
        photo (``out_channels``, ``in_channels`` when the exported network's inputs are not the
        task's ``in_channels``, and task-specific settings such as a working size or tiles),
        recorded in :class:`~colorization.inference.spec.InferenceSpec` and ONNX metadata.
    predictor: ``python -m colorization.predict``: (network, parsed options, the inputs it will
        be applied to) -> a function from an input image to the images to write; it may check
        what goes with the inputs (hint files) before the first is predicted.
    predict_options: the options ``predict`` accepts for this task.
    check_predict_options: (parsed options, ``parser.error``) -> None: stops on combinations of
        this task's options that cannot work, before anything is loaded.
    evaluation_options: the options ``evaluate`` accepts for this task.
    evaluation_protocols: (evaluate's options) -> the protocols to test with; by default one:
        the task as trained, on whole images or the test set.
    configure_evaluation: (the run's config, evaluate's options) -> None: config changes for
        testing (colorization: the baselines scored beside the model).
    evaluation_note: (the run's config) -> a sentence for ``evaluation.json`` on how it tests.
    page: ``python -m colorization.app``: (network, parsed options) -> the page's service, for a
        task the interactive page serves (None: no page).
    published_protocols: ``evaluate --protocol NAME``: the published evaluation protocols of
        the task (:mod:`colorization.tasks.published`), each as a paper's table measures.
    """

    name: str
    task_class: str
    tensors: str
    inference_settings: Callable[[DictConfig], dict[str, Any]]
    predictor: Callable[[Any, argparse.Namespace, Sequence[Path]], Predictor]
    predict_options: tuple[Option, ...] = ()
    check_predict_options: Callable[[argparse.Namespace, Failure], None] | None = None
    evaluation_options: tuple[Option, ...] = ()
    evaluation_protocols: Callable[[Mapping[str, Any]], list[EvaluationProtocol]] | None = None
    configure_evaluation: Callable[[DictConfig, Mapping[str, Any]], None] | None = None
    evaluation_note: Callable[[DictConfig], str] | None = None
    page: Callable[[Any, argparse.Namespace], Any] | None = None
    published_protocols: Sequence[PublishedProtocol] = ()

    @property
    def class_name(self) -> str:
        return self.task_class.rsplit(".", 1)[-1]

    def load_task_class(self) -> type:
        module, name = self.task_class.rsplit(".", 1)
        return getattr(importlib.import_module(module), name)

    def protocols(self, options: Mapping[str, Any], whole_images: bool) -> list[EvaluationProtocol]:
        """The evaluation protocols for ``options`` (the default: the task as trained)."""
        if self.evaluation_protocols is not None:
            return self.evaluation_protocols(options)
        return [EvaluationProtocol("whole_images" if whole_images else "test_set")]


# Options of ``predict`` that several tasks share (declared once, so that they are alike).
WORKING_SIZE_OPTION = Option(
    ("--working-size",), {"type": int, "help": "shorter side the network sees (default: the run's)"}
)
TILE_OPTIONS = (
    Option(("--tile-size",), {"type": int, "help": "override the model's tile size"}),
    Option(("--tile-overlap",), {"type": int, "help": "override the model's tile overlap"}),
)


def tiled_inference_settings(config: DictConfig) -> dict[str, Any]:
    """What a network applied in tiles needs: its outputs and the task's tiles."""
    return {
        "out_channels": int(config.task.out_channels),
        "tile_size": int(config.task.tile_size),
        "tile_overlap": int(config.task.tile_overlap),
    }


def tiled_predictor(network: Any, args: argparse.Namespace, images: Sequence[Path]) -> Predictor:
    """A task whose network maps a photo to a photo: the whole photo in overlapping tiles."""
    from colorization.inference.restore import Restorer

    restorer = Restorer(network, args.tile_size, args.tile_overlap)
    return lambda path, image: {"": restorer(image)}


def tiled_task_plugin(
    name: str,
    task_class: str,
    tensors: str,
    inference_settings: Callable[[DictConfig], dict[str, Any]] = tiled_inference_settings,
    published_protocols: Sequence[PublishedProtocol] = (),
) -> TaskPlugin:
    """The plugin of a task whose network maps a photo to a photo: predicted whole, in tiles,
    with the tile options."""
    return TaskPlugin(
        name=name,
        task_class=task_class,
        tensors=tensors,
        inference_settings=inference_settings,
        predictor=tiled_predictor,
        predict_options=TILE_OPTIONS,
        published_protocols=published_protocols,
    )
