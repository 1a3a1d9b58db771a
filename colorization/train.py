"""Train a model from the composed Hydra config.

    python -m colorization.train                       # UNet, hint colorization, sample photos
    python -m colorization.train model=attention_unet loss=mse optimizer=rmsprop \
        optimizer.lr=5e-4 data.root=/path/to/photos trainer.max_epochs=80
    python -m colorization.train run_name=exp1         # rerun after a crash: resumes
"""

from __future__ import annotations

import logging
import sys
from contextlib import nullcontext
from typing import Any

import hydra
import pytorch_lightning as pl
from omegaconf import DictConfig, OmegaConf
from pytorch_lightning.callbacks import ModelCheckpoint
from pytorch_lightning.tuner import Tuner

from colorization.build import build_datamodule, build_task, build_trainer
from colorization.callbacks.checkpoint import ensure_room_for_checkpoints
from colorization.config import (
    CONFIG_NAME,
    config_dir,
    print_config,
    register_resolvers,
    validate_config,
)
from colorization.errors import exit_on_user_error
from colorization.lightning_compat import ddp_launch_scope, shut_down_fit_loaders
from colorization.runs.folder import RunFolder, check_run_name
from colorization.runs.interrupt import GracefulStop, exit_with_launcher
from colorization.runs.lock import RunLock, follows_a_job
from colorization.runs.record import command_line_overrides, record_start
from colorization.runs.resume import recorded_seed, starting_checkpoint
from colorization.search.pruning import search_callbacks
from colorization.seeds import chosen_seed
from colorization.tracking.runs import start_trackers

log = logging.getLogger(__name__)


def train(cfg: DictConfig) -> tuple[pl.Trainer, pl.LightningModule]:
    """Build data, model, task and trainer from ``cfg`` and fit.

    While training, the run folder is locked to this job; a named run resumes only a run that
    recorded a compatible config; SIGTERM/SIGINT stop with a checkpoint (exit 128 + signal).
    """
    validate_config(cfg)
    run = RunFolder(cfg.paths.output_dir)
    training = bool(cfg.get("train", True))
    with RunLock(run.lock) if training else nullcontext():
        ckpt_path = starting_checkpoint(cfg, run) if training else cfg.get("ckpt_path")
        recorded = recorded_seed(ckpt_path) if training and ckpt_path else None
        pl.seed_everything(chosen_seed(cfg.get("seed"), recorded), workers=True)
        datamodule = build_datamodule(cfg)
        trainer, loggers = build_trainer(cfg, search_callbacks(cfg))
        task = build_task(cfg, pretrained=ckpt_path is None)
        start_trackers(loggers, cfg, run.trackers, resuming=ckpt_path is not None)
        if cfg.get("tune", {}).get("batch_size") and ckpt_path is None:
            find_batch_size(trainer, task, datamodule)
        if training:
            ensure_room_for_checkpoints(task, run.checkpoints)
            if not follows_a_job():  # under DDP, rank 0 records the run
                record_start(run, cfg, command_line_overrides(), resumed=ckpt_path is not None)
            fit(trainer, task, datamodule, ckpt_path)
            if trainer.is_global_zero:
                report(trainer)
    return trainer, task


def fit(
    trainer: pl.Trainer, task: pl.LightningModule, datamodule: Any, ckpt_path: str | None
) -> None:
    """``trainer.fit``; a SIGTERM or SIGINT ends it at the next batch boundary with a
    checkpoint, and the process then exits with 128 + the signal (143, 130)."""
    with GracefulStop(trainer) as stop, ddp_launch_scope():
        try:
            trainer.fit(task, datamodule=datamodule, ckpt_path=ckpt_path)
        except BaseException as error:
            shut_down_fit_loaders(trainer)
            if isinstance(error, SystemExit) and stop.exit_code() is not None:
                raise SystemExit(stop.exit_code()) from None
            raise


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
    # After ddp_spawn/ddp_fork, the launching process gets the best path back but not its score.
    if best is not None and best.best_model_path and best.best_model_score is not None:
        score = float(best.best_model_score)
        log.info(f"Best checkpoint ({best.monitor}={score:.4f}): {best.best_model_path}")


def best_score(trainer: pl.Trainer, metric: str | None) -> float | None:
    """Best value of ``metric`` in the run (what a Hydra sweeper optimises)."""
    best = monitored_checkpoint(trainer)
    if best is not None and best.monitor == metric and best.best_model_score is not None:
        return float(best.best_model_score)
    value = trainer.callback_metrics.get(metric) if metric else None
    return None if value is None else float(value)


def main() -> float | None:
    """The command: Hydra parses the command line, composes the config and runs :func:`job`
    (once, or per job of a multirun). What Hydra needs of this project is registered first."""

    from hydra.core.plugins import Plugins

    from hydra_plugins.colorization_optuna.sweeper import OptunaStudySweeper

    check_command_line(sys.argv[1:])
    register_resolvers()
    Plugins.instance().register(OptunaStudySweeper)  # hydra/sweeper=colorization_optuna
    return hydra.main(version_base="1.3", config_path=str(config_dir()), config_name=CONFIG_NAME)(
        job
    )()


def check_command_line(arguments: list[str]) -> None:
    """What must be refused before Hydra creates the run folder: a ``run_name`` that is no name
    (Hydra resolves the folder before :func:`job` runs)."""
    for argument in arguments:
        key, _, value = argument.lstrip("+~").partition("=")
        if key == "run_name" and value not in ("", "null"):
            try:
                check_run_name(value)
            except ValueError as error:
                exit_on_user_error(
                    error, lambda message: print(f"error: {message}", file=sys.stderr)
                )


def job(cfg: DictConfig) -> float | None:
    """One training job of the command; returns the score a sweeper optimises."""
    exit_with_launcher()  # a DDP rank > 0 ends with the rank that started it
    # Lightning installs its own console handler; hand its messages to Hydra's handlers instead,
    # so they reach the console and the run's train.log.
    for name in ("pytorch_lightning", "lightning_fabric"):
        logging.getLogger(name).handlers.clear()
        logging.getLogger(name).propagate = True
    if cfg.get("print_config") and not follows_a_job():
        print_config(cfg)
    try:
        trainer, _ = train(cfg)
    except Exception as error:
        if OmegaConf.select(cfg, "search.trial") is None:  # a search records a trial's error
            exit_on_user_error(error, log.error)
        raise
    return best_score(trainer, cfg.get("optimized_metric"))


if __name__ == "__main__":
    main()
