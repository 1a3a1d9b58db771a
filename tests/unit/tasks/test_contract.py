"""The task contract (colorization/tasks/plugin.py), checked for every task and for a new one
written from docs/architecture.md's recipe alone (``new_task/``: "identity", the network's input
is its target), found with no shared file edited: its folders join the package's task and data
folders and Hydra's config search path, as a user's own task would."""

from __future__ import annotations

import importlib
import inspect
import math
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import torch
from helpers import TINY, tiny
from omegaconf import DictConfig, OmegaConf

import colorization.data
import colorization.tasks
from colorization.build import build_datamodule, build_task
from colorization.config import compose, config_dir
from colorization.report.collect import RunRecord
from colorization.report.columns import result_columns
from colorization.tasks.base import ImageToImageTask
from colorization.tasks.plugin import TaskPlugin
from colorization.tasks.registry import plugin_of_config, task_plugin, task_plugins
from colorization.tasks.settings import Setting, metric_rows

NEW_TASK = Path(__file__).parent / "new_task"
SEARCH_PATH = f"hydra.searchpath=[file://{NEW_TASK / 'conf'}]"


@contextmanager
def new_task_installed() -> Iterator[None]:
    """The identity task found as if it were one of the package's."""
    saved = list(colorization.tasks.__path__), list(colorization.data.__path__)
    colorization.tasks.__path__.append(str(NEW_TASK / "tasks"))
    colorization.data.__path__.append(str(NEW_TASK / "data"))
    task_plugins.cache_clear()
    try:
        yield
    finally:
        colorization.tasks.__path__[:], colorization.data.__path__[:] = saved
        for name in [m for m in sys.modules if m.split(".")[2:3] == ["identity"]]:
            del sys.modules[name]
        task_plugins.cache_clear()


@pytest.fixture(params=[*sorted(task_plugins()), "identity"])
def task(request: pytest.FixtureRequest) -> Iterator[tuple[TaskPlugin, DictConfig]]:
    """(the plugin, its composed tiny config) of every task and of the new one."""
    name = request.param
    if name != "identity":
        yield task_plugin(name), compose([f"task={name}", *tiny([f"task={name}"])])
        return
    with new_task_installed():
        assert "identity" in task_plugins()
        yield task_plugin(name), compose([SEARCH_PATH, f"task={name}", *TINY])


def test_the_new_task_is_found_only_while_its_folders_are_there() -> None:
    assert "identity" not in task_plugins()


def test_the_plugin_names_the_class_its_config_builds(task) -> None:
    plugin, cfg = task
    assert plugin_of_config(cfg) is plugin
    task_class = plugin.load_task_class()
    assert issubclass(task_class, ImageToImageTask)
    assert task_class.__name__ == plugin.class_name == str(cfg.task._target_).rsplit(".", 1)[-1]


def test_the_task_has_its_data_package_and_its_yaml_says_its_defaults(task) -> None:
    plugin, cfg = task
    importlib.import_module(f"colorization.data.{plugin.name}")
    assert {"in_channels", "monitor", "monitor_mode"} <= set(cfg.task)
    assert cfg.task.monitor_mode in ("min", "max")


def test_the_yaml_is_the_one_home_of_the_task_settings(task) -> None:
    """No task class declares a default for a setting its YAML states (objects the config
    builds aside: their None means "not built"), so a default is changed in one place."""
    plugin, _ = task
    folder = NEW_TASK / "conf" if plugin.name == "identity" else config_dir()
    stated = set(OmegaConf.load(folder / "task" / f"{plugin.name}.yaml").task) - {"_target_"}
    task_class = plugin.load_task_class()
    declared = [
        f"{klass.__name__}.{parameter.name}"
        for klass in task_class.__mro__
        if "__init__" in vars(klass) and issubclass(klass, ImageToImageTask)
        for parameter in inspect.signature(klass.__init__).parameters.values()
        if parameter.name in stated
        and parameter.default is not parameter.empty
        and parameter.name not in task_class.object_arguments
    ]
    assert not declared


def test_export_says_what_the_network_needs_and_means(task) -> None:
    plugin, cfg = task
    assert isinstance(plugin.export.inference_settings(cfg).pop("out_channels"), int)
    assert isinstance(plugin.export.tensors, str) and "outputs" in plugin.export.tensors
    assert callable(plugin.predict.predictor)


def test_every_published_protocol_names_its_task_papers_and_typed_settings(task) -> None:
    plugin, cfg = task
    assert plugin.evaluate.published, f"{plugin.name} has no published protocol"
    for protocol in plugin.evaluate.published:
        assert protocol.task == plugin.name and protocol.papers and len(protocol.summary) > 40
        settings = protocol.settings(cfg)
        assert all(isinstance(setting, Setting) for setting in settings)
        assert len({s.label for s in settings}) == len({s.text for s in settings}) == len(settings)


def evaluation_of(plugin: TaskPlugin, cfg: DictConfig) -> dict:
    """evaluation.json as evaluate writes it: every own protocol at its default options, and
    every published protocol at each of its settings, with two metrics each."""
    own = plugin.evaluate.protocols_for(
        plugin.evaluate.defaults(), plugin.load_task_class().predicts_images
    )
    rows = [row for protocol in own for row in protocol.rows({"psnr": 1.0, "ssim": 0.5})]
    published = {}
    for protocol in plugin.evaluate.published:
        published[protocol.name] = {}
        for setting in protocol.settings(cfg):  # as run_protocol writes them
            rows += metric_rows(protocol.name, setting, {"psnr": 2.0, "ssim": 0.6})
    return {"metrics": rows, "published": published}


def test_a_report_has_a_column_for_every_protocol_setting_and_metric(task) -> None:
    """None lost: denoising's three noise levels are three columns (1.4 kept only sigma 50's)."""
    plugin, cfg = task
    evaluation = evaluation_of(plugin, cfg)
    columns = result_columns(RunRecord("run", Path("run"), evaluation=evaluation))
    keys = {(r["protocol"], r["setting"], r["metric"]) for r in evaluation["metrics"]}
    assert len(columns) == len(keys) == len(evaluation["metrics"])
    assert all(name.split()[1] in ("psnr", "ssim") for name in columns)


def test_a_training_batch_flows_and_an_odd_sized_image_is_predicted_whole(task) -> None:
    plugin, cfg = task
    module, datamodule = build_task(cfg, pretrained=False), build_datamodule(cfg)
    datamodule.setup("fit")
    batch = next(iter(datamodule.train_dataloader()))
    prepared = module.prepare_batch(batch, "train")
    loss = module.compute_loss(module(prepared.inputs), prepared.target)
    loss.backward()
    assert math.isfinite(float(loss))
    assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in module.net.parameters())
    module.eval()
    image = next(iter(datamodule.val_dataloader()))
    odd = {key: value[:1] for key, value in image.items()}
    with torch.no_grad():
        val = module.prepare_batch(odd, "val")
        pred = module.decoded(module.predict_images(val.inputs), val.target)
    assert pred.shape[-2:] == val.target.shape[-2:]
