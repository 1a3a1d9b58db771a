"""A trained run, found from what a user points at: its folder, its config, its best checkpoint,
and its task rebuilt with the trained weights (shared by ``evaluate``, ``report``, ``predict``)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytorch_lightning as pl
from omegaconf import DictConfig, OmegaConf

from colorization.build import build_task
from colorization.callbacks.checkpoint import load_checkpoint
from colorization.callbacks.history import read_history
from colorization.compat import upgrade
from colorization.data.images import shown
from colorization.inference.network import TorchNetwork
from colorization.inference.spec import InferenceSpec
from colorization.runs.folder import RunFolder
from colorization.runs.trust import DamagedRunError, check_trusted, read_recorded_config
from colorization.tasks.plugin import TaskPlugin
from colorization.tasks.registry import plugin_of_config

_SCORE = re.compile(r"=(-?[\d.]+(?:e-?\d+)?)\.ckpt$")


@dataclass
class TrainedRun:
    folder: RunFolder
    config: DictConfig
    checkpoint: Path | None

    @property
    def monitor(self) -> str:
        return str(OmegaConf.select(self.config, "task.monitor", default="val/loss"))

    @property
    def maximize(self) -> bool:
        return OmegaConf.select(self.config, "task.monitor_mode", default="min") == "max"

    @property
    def plugin(self) -> TaskPlugin:
        return plugin_of_config(self.config)


def open_run(path: str | Path) -> TrainedRun:
    """The run of ``path``: a run folder (its best checkpoint) or a ``.ckpt`` inside one."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(
            f"{shown(path)} does not exist: give a run folder (outputs/<run>) or a .ckpt file "
            "in its checkpoints/ folder."
        )
    if path.is_file():
        if path.suffix != ".ckpt":
            raise ValueError(
                f"{shown(path)} is not a .ckpt file; give a checkpoint or a run folder."
            )
        folder = RunFolder.of_checkpoint(path)
    else:
        folder = RunFolder(path)
    if not folder.config.is_file():
        where = (
            "the checkpoint must stay in its run folder (<run>/checkpoints/<name>.ckpt next to "
            "<run>/.hydra/config.yaml)"
            if path.is_file()
            else f"{shown(path)} is not a run folder (give outputs/<run>, or a .ckpt in it)"
        )
        raise FileNotFoundError(f"No run config at {shown(folder.config)}: {where}.")
    run = TrainedRun(folder, run_config(folder), None)
    run.checkpoint = path if path.is_file() else best_checkpoint(run)
    return run


def run_config(folder: RunFolder) -> DictConfig:
    """The config a run recorded, its ``paths.output_dir`` (recorded as
    ``${hydra:runtime.output_dir}``) set to the folder the run is in now, outside Hydra; a
    config of an earlier version as this one reads it (:mod:`colorization.compat`)."""
    config = upgrade(read_recorded_config(folder.config))
    OmegaConf.update(config, "paths.output_dir", str(folder.root), force_add=True)
    check_trusted(config, folder.config)
    if not OmegaConf.select(config, "task._target_"):
        raise DamagedRunError(
            f"{shown(folder.config)} records no task (task._target_ is missing): the run folder "
            "is damaged or was not written by the train command; give a run folder it wrote."
        )
    return config


def best_row(rows: list[dict[str, str]], monitor: str, maximize: bool) -> dict[str, str] | None:
    """The history.csv row with the best value of ``monitor`` (None if no row has it)."""
    rows = [r for r in rows if r.get(monitor)]
    if not rows:
        return None
    return (max if maximize else min)(rows, key=lambda r: float(r[monitor]))


def best_checkpoint(run: TrainedRun) -> Path | None:
    """The checkpoint of the run's best epoch by its monitored metric (from history.csv, else
    from the scores in the checkpoint names), else last.ckpt; None if there is none."""
    folder = run.folder.checkpoints
    scored = [p for p in folder.glob("epoch=*.ckpt")]
    try:
        best = best_row(read_history(run.folder.epoch_history), run.monitor, run.maximize)
    except (ValueError, TypeError) as error:
        reason = str(error).replace(str(run.folder.epoch_history), "").strip(" :") or "damaged"
        raise ValueError(
            f"{shown(run.folder.epoch_history)} cannot be read ({reason}), and it says which "
            "checkpoint is the best: restore it, or give a checkpoint instead of the run folder "
            f"({shown(folder)}/<name>.ckpt)."
        ) from None
    if best is not None:
        match = [p for p in scored if p.name.startswith(f"epoch={int(best['epoch']):03d}-")]
        if match:
            return match[0]
    with_score = [(float(m.group(1)), p) for p in scored if (m := _SCORE.search(p.name))]
    if with_score:
        return (max if run.maximize else min)(with_score)[1]
    last = run.folder.last_checkpoint
    return last if last.is_file() else None


def load_trained_task(run: TrainedRun) -> pl.LightningModule:
    """The run's task with its checkpoint's weights, in eval mode."""
    task = build_run_task(run)
    load_weights(run, task)
    return task.eval()


def build_run_task(run: TrainedRun) -> pl.LightningModule:
    """The run's task as configured, before its weights are loaded."""
    if run.checkpoint is None:
        raise FileNotFoundError(
            f"{shown(run.folder.root)} has no checkpoint yet (checkpoints/ is empty): train it "
            "first, or give a .ckpt file."
        )
    return build_task(run.config, pretrained=False)


def load_weights(run: TrainedRun, task: pl.LightningModule) -> None:
    """Load the run's checkpoint into ``task``; a checkpoint of another task or model says so."""
    try:
        state = load_checkpoint(run.checkpoint)
    except Exception as error:  # unpickling raises many types
        raise ValueError(f"Could not load checkpoint {shown(run.checkpoint)}: {error}") from error
    try:
        task.load_state_dict(state["state_dict"])
    except RuntimeError as error:
        raise ValueError(
            f"Checkpoint {shown(run.checkpoint)} does not fit the {type(task).__name__} of "
            f"{shown(run.folder.config)} (another task or model wrote it): give a checkpoint of "
            "this run."
        ) from error


def spec_from_config(config: DictConfig) -> InferenceSpec:
    """The spec of a run's network, from the config it recorded (its task plugin says what
    the task needs beside the channels)."""
    plugin = plugin_of_config(config)
    settings = plugin.export.inference_settings(config)
    in_channels = settings.pop("in_channels", None)  # a task may wrap its network's inputs
    return InferenceSpec(
        task=plugin.name,
        in_channels=int(config.task.in_channels if in_channels is None else in_channels),
        out_channels=int(settings.pop("out_channels")),
        model=str(OmegaConf.select(config, "model._target_", default="")),
        settings=settings,
    )


def trained_network(path: str | Path, device: str = "cpu") -> TorchNetwork:
    """The network of a run (a run folder: its best checkpoint; or a ``.ckpt`` in one) as
    prediction and export use it, with the spec read from the run's config."""
    run = open_run(path)
    spec = spec_from_config(run.config)
    task = load_trained_task(run)
    return TorchNetwork(task.inference_network(), spec, device)
