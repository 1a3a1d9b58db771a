"""How a composed config becomes objects: the DataModule, the task and the Trainer.

Shared by every command that builds from a config (``train``, ``predict``, ``bench``). Each
object comes from its group by ``hydra.utils.instantiate``; the task receives the network as a
``_partial_`` (it fills in its channel counts), the loss, the partial optimizer and scheduler,
the training-step options (``optimization``) and the safety net (``safety``). ``auto`` settings
(precision, memory format) are resolved here, for the machine the run is on.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import nullcontext
from typing import Any

import pytorch_lightning as pl
from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf, open_dict

from colorization.hardware import (
    configure_float32_math,
    resolve_channels_last,
    resolve_precision,
)
from colorization.lightning_compat import start_ranks_as_hydra_jobs
from colorization.models.pretrained import weights_from_checkpoint


def instantiate_all(group: DictConfig | None) -> list[Any]:
    """Instantiate every entry with a ``_target_`` in a group such as callbacks or logger."""
    if not group:
        return []
    return [instantiate(entry) for entry in group.values() if "_target_" in entry]


def accelerator_of(cfg: DictConfig) -> str:
    return str(OmegaConf.select(cfg, "trainer.accelerator", default="auto"))


def optimization_options(cfg: DictConfig) -> dict[str, Any]:
    """``cfg.optimization`` as task arguments, ``channels_last: auto`` resolved."""
    options = OmegaConf.to_container(cfg.get("optimization") or {}, resolve=True)
    if "channels_last" in options:
        options["channels_last"] = resolve_channels_last(
            options["channels_last"], accelerator_of(cfg)
        )
    return options


def build_datamodule(cfg: DictConfig) -> pl.LightningDataModule:
    return instantiate(cfg.data)


def build_task(cfg: DictConfig, *, pretrained: bool = True, **overrides: Any) -> pl.LightningModule:
    """The task with its network, loss, optimizer, scheduler, loop options and safety net;
    ``overrides`` replace any of the task's arguments (e.g. ``compile=False``).
    ``pretrained=False``: a checkpoint will replace the weights, so the network's pretrained
    starting weights (``model.encoder_weights``) are neither needed nor read."""
    safety = cfg.get("safety") or {}
    guard = safety.get("loss_guard")
    arguments = {
        "net": instantiate(cfg.model),
        "loss": instantiate(cfg.loss),
        "optimizer": instantiate(cfg.optimizer),
        "scheduler": instantiate(cfg.scheduler) if cfg.get("scheduler") else None,
        "oom_recovery": bool(safety.get("oom_recovery", True)),
        "loss_guard": instantiate(guard) if guard else None,
        **optimization_options(cfg),
        **overrides,
    }
    # The network is built inside (a partial model config, completed by the task).
    with nullcontext() if pretrained else weights_from_checkpoint():
        return instantiate(cfg.task, **arguments)


def trainer_config(cfg: DictConfig) -> DictConfig:
    """``cfg.trainer`` with ``precision: auto`` resolved for this machine, and cuDNN's
    autotuner (``benchmark: null``) on unless the run asks to be deterministic."""
    trainer_cfg = cfg.trainer.copy()
    with open_dict(trainer_cfg):
        precision = trainer_cfg.get("precision", "auto")
        trainer_cfg.precision = resolve_precision(precision, accelerator_of(cfg))
        if trainer_cfg.get("benchmark") is None:
            trainer_cfg.benchmark = not trainer_cfg.get("deterministic", False)
    return trainer_cfg


def build_trainer(
    cfg: DictConfig, extra_callbacks: Sequence[pl.Callback] = ()
) -> tuple[pl.Trainer, list[Any]]:
    """The Trainer with the configured callbacks and loggers; returns it and the loggers.
    Sets torch's fp32 math for the machine (TF32 on CUDA cards that have it)."""
    configure_float32_math(accelerator_of(cfg))
    start_ranks_as_hydra_jobs()  # DDP under a Hydra multirun: one job per set of ranks
    loggers = instantiate_all(cfg.get("logger"))
    callbacks = [*instantiate_all(cfg.get("callbacks")), *extra_callbacks]
    trainer = instantiate(trainer_config(cfg), callbacks=callbacks, logger=loggers or False)
    return trainer, loggers
