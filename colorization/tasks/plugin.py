"""What a task tells the rest of the framework: the contract of a task plugin, in one file.

A task is, and needs nothing beyond:

1. a sub-package ``colorization/tasks/<name>/`` whose ``__init__`` defines ``PLUGIN``, a
   :class:`TaskPlugin` (found by :mod:`.registry`);
2. its LightningModule, a subclass of :class:`colorization.tasks.base.ImageToImageTask`
   (named by :attr:`TaskPlugin.task_class`);
3. a data sub-package ``colorization/data/<name>/`` (what the task needs of data beyond the
   photos; a task that learns from photos may hold only its docstring there);
4. ``conf/task/<name>.yaml`` (``# @package _global_``: ``task._target_``, ``in_channels``,
   ``monitor``, ``monitor_mode`` and every setting of the task, the data, model and loss it
   selects) and ``conf/data/<name>.yaml``. The YAML is the one home of the task's defaults:
   the class declares none for a setting its YAML states;
5. at least one published evaluation protocol (:attr:`Evaluation.published`), whose settings
   are :class:`~colorization.tasks.settings.Setting` values with distinct labels.

``tests/unit/tasks/test_contract.py`` checks each of these for every task, and again on a task
written from this recipe alone (``tests/unit/tasks/new_task/``).

The plugin's hooks are grouped by the command that uses them: :class:`Export` (``export``, and
the spec every trained network carries), :class:`Prediction` (``predict``), :class:`Evaluation`
(``evaluate`` and ``report``) and ``page`` (``app``). ``train`` needs only ``task_class`` and
the YAMLs. The plugin is light on purpose: importing it imports neither torch, Lightning nor the
task's LightningModule (:meth:`TaskPlugin.load_task_class` imports it), so a model exported to
ONNX predicts without Lightning and a command answers ``--help`` and argument errors before
torch is imported: the plugin names its heavy functions and protocols with
:func:`colorization.lazy.lazy_function` and :class:`colorization.lazy.LazySequence` (tested).
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

from colorization.lazy import lazy_function
from colorization.tasks.settings import AS_TRAINED, Setting, metric_rows

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
    **settings)``. Tasks that share an option (the same ``flags``) declare it alike. A value
    that must be checked has a ``type`` of :class:`colorization.tasks.settings.OptionValue`."""

    flags: tuple[str, ...]
    settings: Mapping[str, Any] = field(default_factory=dict)

    @property
    def dest(self) -> str:
        return self.flags[0].lstrip("-").replace("-", "_")


@dataclass(frozen=True)
class EvaluationProtocol:
    """One way of testing a trained task: its rows in ``evaluation.json`` are ``name`` at
    ``setting`` (typed; its ``label`` names the report's columns); ``setup(task)`` is a context
    manager the test runs inside (e.g. the colorization task with other hints), or None for the
    task as trained; ``summary``: whether the report's Markdown table shows its columns."""

    name: str
    setting: Setting = AS_TRAINED
    setup: Callable[[Any], AbstractContextManager[None]] | None = None
    summary: bool = True

    def applied_to(self, task: Any) -> AbstractContextManager[None]:
        return nullcontext() if self.setup is None else self.setup(task)

    def rows(self, metrics: Mapping[str, float]) -> list[dict[str, Any]]:
        """``evaluation.json``'s rows of this protocol's ``test/*`` metrics."""
        return metric_rows(self.name, self.setting, metrics, self.summary)


@dataclass(frozen=True)
class Export:
    """What a trained network carries with it (``python -m colorization.export``, and the spec
    ``predict`` and the page read). Required.

    Args:
        tensors: what the inputs and outputs of the exported network mean (ONNX metadata).
        inference_settings: (a run's config) -> what its network needs around it on a photo:
            ``out_channels``, ``in_channels`` when the exported network's inputs are not the
            task's ``in_channels``, and the task's own (a working size, tiles, classes);
            recorded in :class:`~colorization.inference.spec.InferenceSpec` and the ONNX file.
    """

    tensors: str
    inference_settings: Callable[[DictConfig], dict[str, Any]]


@dataclass(frozen=True)
class Prediction:
    """``python -m colorization.predict``. Required.

    Args:
        predictor: (network, parsed options, the inputs it will be applied to) -> a function
            from an input image to the images to write; it may check what goes with the inputs
            (hint files) before the first is predicted. Required.
        options: the options ``predict`` accepts for this task. Optional.
        check_options: (parsed options, ``parser.error``) -> None: stops on combinations of
            this task's options that cannot work, before anything is loaded. Optional.
    """

    predictor: Callable[[Any, argparse.Namespace, Sequence[Path]], Predictor]
    options: tuple[Option, ...] = ()
    check_options: Callable[[argparse.Namespace, Failure], None] | None = None


@dataclass(frozen=True)
class Evaluation:
    """``python -m colorization.evaluate`` (and how ``report`` names the results).

    Args:
        published: ``evaluate --protocol NAME``: the task's published evaluation protocols
            (:mod:`colorization.tasks.published`), each as a paper's table measures. Required:
            at least one.
        options: the options ``evaluate`` accepts for this task (checked values:
            :class:`~colorization.tasks.settings.OptionValue`). Optional.
        protocols: (evaluate's options, defaults filled in) -> the protocols to test with.
            Optional; default: one, the task as trained, on whole images or the test set.
        configure: (the run's config, evaluate's options) -> None: config changes for testing
            (colorization: the baselines scored beside the model). Optional.
        note: (the run's config) -> a sentence for ``evaluation.json`` on how it tests. Optional.
    """

    published: Sequence[PublishedProtocol]
    options: tuple[Option, ...] = ()
    protocols: Callable[[Mapping[str, Any]], list[EvaluationProtocol]] | None = None
    configure: Callable[[DictConfig, Mapping[str, Any]], None] | None = None
    note: Callable[[DictConfig], str] | None = None

    def protocols_for(
        self, options: Mapping[str, Any], whole_images: bool
    ) -> list[EvaluationProtocol]:
        """The evaluation protocols for ``options`` (the default: the task as trained)."""
        if self.protocols is not None:
            return self.protocols(options)
        return [EvaluationProtocol("whole_images" if whole_images else "test_set")]

    def defaults(self) -> dict[str, Any]:
        """Each option's default value, by its ``dest``."""
        return {option.dest: option.settings.get("default") for option in self.options}


@dataclass(frozen=True)
class TaskPlugin:
    """A task, as the commands know it.

    Args:
        name: the task's name: ``task=<name>``, its run folders, ``InferenceSpec.task``.
        task_class: ``train``: the dotted path of its LightningModule (imported only when a
            task is built; the YAML names the same class as ``task._target_``).
        export: what its trained network carries (:class:`Export`).
        predict: ``predict`` (:class:`Prediction`).
        evaluate: ``evaluate`` and ``report`` (:class:`Evaluation`).
        page: ``app``: (network, parsed options) -> the page's service, a
            :class:`colorization.tasks.page.PageService`. Required of the built-in tasks (a
            task without one answers ``app`` with the commands that serve it).
    """

    name: str
    task_class: str
    export: Export
    predict: Prediction
    evaluate: Evaluation
    page: Callable[[Any, argparse.Namespace], Any] | None = None

    @property
    def class_name(self) -> str:
        return self.task_class.rsplit(".", 1)[-1]

    def load_task_class(self) -> type:
        module, name = self.task_class.rsplit(".", 1)
        return getattr(importlib.import_module(module), name)


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
    published: Sequence[PublishedProtocol],
    inference_settings: Callable[[DictConfig], dict[str, Any]] = tiled_inference_settings,
    evaluation: Evaluation | None = None,
    page: Callable[[Any, argparse.Namespace], Any] | None = None,
) -> TaskPlugin:
    """The plugin of a task whose network maps a photo to a photo: predicted whole, in tiles,
    with the tile options; tested as trained unless ``evaluation`` says otherwise; its page
    shows the photo in and out (:mod:`colorization.tasks.restore_page`) unless ``page`` says
    otherwise."""
    return TaskPlugin(
        name=name,
        task_class=task_class,
        export=Export(tensors, inference_settings),
        predict=Prediction(tiled_predictor, TILE_OPTIONS),
        evaluate=evaluation or Evaluation(published),
        page=page or lazy_function("colorization.tasks.restore_page", "restore_page"),
    )
