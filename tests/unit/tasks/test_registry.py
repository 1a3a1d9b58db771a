"""The task registry: every task package is found, looked up by name or from a run's config,
and contributes its own command-line options."""

from __future__ import annotations

import argparse
import subprocess
import sys

import pytest
from omegaconf import OmegaConf

from colorization.config import config_dir
from colorization.tasks.registry import (
    add_task_options,
    options_of_other_tasks,
    plugin_of_config,
    task_plugin,
    task_plugins,
)


def test_every_task_option_has_a_plugin_and_every_plugin_a_task_option() -> None:
    options = {path.stem for path in (config_dir() / "task").glob("*.yaml")}
    assert set(task_plugins()) == options


def test_a_run_of_0x_is_found_by_its_class_path_of_then() -> None:
    old = OmegaConf.create({"task": {"_target_": "colorization.tasks.SegmentationTask"}})
    assert plugin_of_config(old).name == "segmentation"
    from colorization.tasks import SegmentationTask  # the old path still imports the class

    assert SegmentationTask is task_plugin("segmentation").load_task_class()


def test_unknown_tasks_are_refused_with_the_known_ones() -> None:
    with pytest.raises(
        ValueError, match="Unknown task 'inpainting'.*colorization, denoising, flare"
    ):
        task_plugin("inpainting")
    config = OmegaConf.create({"task": {"_target_": "somewhere.InpaintingTask"}})
    with pytest.raises(ValueError, match="InpaintingTask is not a task of this version"):
        plugin_of_config(config)


def test_options_shared_by_tasks_are_added_once_in_a_group_naming_them() -> None:
    parser = argparse.ArgumentParser()
    add_task_options(parser, "predict")
    titles = {group.title for group in parser._action_groups}
    assert {"colorization, segmentation", "denoising, flare, superres"} <= titles
    args = parser.parse_args(["--tile-size", "64", "--working-size", "96"])
    assert (args.tile_size, args.working_size, args.hints) == (64, 96, None)


def test_options_of_other_tasks_are_named() -> None:
    parser = argparse.ArgumentParser()
    add_task_options(parser, "predict")
    args = parser.parse_args(["--tile-size", "64", "--overlay"])
    assert options_of_other_tasks(task_plugin("colorization"), "predict", args) == ["--tile-size"]
    assert options_of_other_tasks(task_plugin("flare"), "predict", args) == ["--overlay"]


def test_finding_the_plugins_imports_no_lightning() -> None:
    """A model exported to ONNX is applied through its plugin without Lightning."""
    script = (
        "import sys; from colorization.tasks.registry import task_plugins; task_plugins(); "
        "assert 'pytorch_lightning' not in sys.modules, 'Lightning imported'"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]
