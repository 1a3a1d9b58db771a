"""Train a model from the composed Hydra config.

    python -m colorization.train                       # UNet, hint colorization, sample photos
    python -m colorization.train model=unet loss=mse optimizer=rmsprop optimizer.lr=5e-4 \
        data.root=/path/to/photos data.image_size=128 trainer.max_epochs=80
    python -m colorization.train run_name=exp1         # rerun after a crash: resumes
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import hydra
import pytorch_lightning as pl
from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf, open_dict
from pytorch_lightning.callbacks import ModelCheckpoint
from pytorch_lightning.tuner import Tuner

from colorization.config import CONFIG_NAME, config_dir, print_config, validate_config
from colorization.hardware import resolve_channels_last, resolve_precision
from colorization.resume import resume_checkpoint

log = logging.getLogger(__name__)

# Trainer options that the task carries out itself, handed to it rather than to the Trainer:
# accumulation and clipping live in its training step (manual optimisation, needed to re-split
# a batch after an out-of-memory error); memory format and compilation apply to its network.
TASK_OPTIONS = (
    "accumulate_grad_batches",
    "gradient_clip_val",
    "gradient_clip_algorithm",
    "channels_last",
    "compile",
)


def instantiate_all(group: DictConfig | None) -> list[Any]:
    """Instantiate every entry with a ``_target_`` in a group such as callbacks or logger."""
    if not group:
        return []
    return [instantiate(entry) for entry in group.values() if "_target_" in entry]


def build_task(cfg: DictConfig, task_options: dict[str, Any]) -> pl.LightningModule:
    safety = cfg.get("safety") or {}
    guard = safety.get("loss_guard")
    return instantiate(
        cfg.task,
        net=instantiate(cfg.model),
        loss=instantiate(cfg.loss),
        optimizer=instantiate(cfg.optimizer),
        scheduler=instantiate(cfg.scheduler) if cfg.get("scheduler") else None,
        oom_recovery=bool(safety.get("oom_recovery", True)),
        loss_guard=instantiate(guard) if guard else None,
        **task_options,
    )


def split_trainer_config(cfg: DictConfig) -> tuple[DictConfig, dict[str, Any]]:
    """``cfg.trainer`` without the task's options (returned apart); ``auto`` values resolved."""
    trainer_cfg = cfg.trainer.copy()
    with open_dict(trainer_cfg):
        task_options = {k: trainer_cfg.pop(k) for k in TASK_OPTIONS if k in trainer_cfg}
        accelerator = trainer_cfg.get("accelerator", "auto")
        trainer_cfg.precision = resolve_precision(trainer_cfg.get("precision", "auto"), accelerator)
    if "channels_last" in task_options:
        task_options["channels_last"] = resolve_channels_last(
            task_options["channels_last"], accelerator
        )
    return trainer_cfg, task_options


def build_trainer(
    cfg: DictConfig, extra_callbacks: Sequence[pl.Callback] = ()
) -> tuple[pl.Trainer, dict[str, Any], list[Any]]:
    """The Trainer, the options it hands to the task, and the loggers."""
    trainer_cfg, task_options = split_trainer_config(cfg)
    loggers = instantiate_all(cfg.get("logger"))
    callbacks = [*instantiate_all(cfg.get("callbacks")), *extra_callbacks]
    trainer = instantiate(trainer_cfg, callbacks=callbacks, logger=loggers or False)
    return trainer, task_options, loggers


def train(cfg: DictConfig) -> tuple[pl.Trainer, pl.LightningModule]:
    """Build data, model, task and trainer from ``cfg`` and fit."""
    validate_config(cfg)
    if cfg.get("seed") is not None:
        pl.seed_everything(cfg.seed, workers=True)

    datamodule: pl.LightningDataModule = instantiate(cfg.data)
    trainer, task_options, loggers = build_trainer(cfg)
    task = build_task(cfg, task_options)
    for logger in loggers:
        logger.log_hyperparams(OmegaConf.to_container(cfg, resolve=True))

    ckpt_path = cfg.get("ckpt_path")
    if ckpt_path is None and cfg.get("run_name"):
        ckpt_path = resume_checkpoint(cfg.paths.output_dir)
    if cfg.get("tune", {}).get("batch_size") and ckpt_path is None:
        find_batch_size(trainer, task, datamodule)
    if cfg.get("train", True):
        trainer.fit(task, datamodule=datamodule, ckpt_path=ckpt_path)
        report(trainer)
    return trainer, task


def find_batch_size(trainer: pl.Trainer, task: Any, datamodule: Any) -> None:
    """Lightning's batch-size finder (doubling until out of memory) before training.

    OOM recovery is paused meanwhile: the finder needs to see the out-of-memory errors.
    """
    task.memory.enabled = False
    try:
        size = Tuner(trainer).scale_batch_size(task, datamodule=datamodule, mode="power")
    finally:
        task.memory.enabled = True
    log.info("Batch-size finder chose data.batch_size=%s.", size)


def monitored_checkpoint(trainer: pl.Trainer) -> ModelCheckpoint | None:
    """The checkpoint callback that tracks a metric (not the one keeping last.ckpt)."""
    return next((c for c in trainer.checkpoint_callbacks if c.monitor), None)


def report(trainer: pl.Trainer) -> None:
    """Log the final validation metrics and where the best checkpoint is."""
    metrics = {k: float(v) for k, v in trainer.callback_metrics.items() if k.startswith("val/")}
    listed = ", ".join(f"{name}={value:.4f}" for name, value in sorted(metrics.items()))
    log.info(f"Final validation metrics: {listed}")
    best = monitored_checkpoint(trainer)
    if best is not None and best.best_model_path:
        log.info(f"Best checkpoint ({best.monitor}={float(best.best_model_score):.4f}): "
                 f"{best.best_model_path}")  # fmt: skip


def best_score(trainer: pl.Trainer, metric: str | None) -> float | None:
    """Best value of ``metric`` in the run (what a Hydra sweeper optimises)."""
    best = monitored_checkpoint(trainer)
    if best is not None and best.monitor == metric and best.best_model_score is not None:
        return float(best.best_model_score)
    value = trainer.callback_metrics.get(metric) if metric else None
    return None if value is None else float(value)


@hydra.main(version_base="1.3", config_path=str(config_dir()), config_name=CONFIG_NAME)
def main(cfg: DictConfig) -> float | None:
    # Lightning installs its own console handler; hand its messages to Hydra's handlers instead,
    # so they reach the console and the run's train.log.
    for name in ("pytorch_lightning", "lightning_fabric"):
        logging.getLogger(name).handlers.clear()
        logging.getLogger(name).propagate = True
    if cfg.get("print_config"):
        print_config(cfg)
    trainer, _ = train(cfg)
    return best_score(trainer, cfg.get("optimized_metric"))


if __name__ == "__main__":
    main()
