"""Stopping a training run the ways a run gets stopped, in-process, for the resume tests
(tests/e2e/test_exact_resume.py, tests/e2e/test_gpu.py): ``kill -9`` (an exception no handler
catches: nothing is saved on the way out), a kill during validation or half-way through a
checkpoint write, and SIGTERM."""

from __future__ import annotations

import os
import signal
from pathlib import Path
from typing import Any

import pytorch_lightning as pl
import torch
from helpers import tiny

import colorization.train as train_command
from colorization.build import build_trainer

# 6 batches an epoch, 2 epochs, last.ckpt every 2 steps, one validation batch.
RUN = (
    "data.train_samples_per_epoch=24",
    "trainer.max_epochs=2",
    "callbacks.last_checkpoint.every_n_train_steps=2",
    "+trainer.limit_val_batches=1",
    "callbacks.image_preview.num_images=1",
    "logger=csv",
    "~callbacks.progress_bar",
)


class Killed(BaseException):
    """Ends training as ``kill -9`` does: not an Exception, so nothing handles it."""


class KillMidEpoch(pl.Callback):
    """Killed at the end of the batch that reaches global step ``step``."""

    def __init__(self, step: int) -> None:
        self.step = step

    def on_train_batch_end(self, trainer: pl.Trainer, *args: Any) -> None:
        if trainer.global_step == self.step:
            self.stop()

    def stop(self) -> None:
        raise Killed


class KillInValidation(pl.Callback):
    def on_validation_batch_start(self, trainer: pl.Trainer, *args: Any) -> None:
        if not trainer.sanity_checking:
            raise Killed


class KillAtEpochStart(pl.Callback):
    """Killed as epoch ``epoch`` begins: after the previous epoch's checkpoint was written."""

    def __init__(self, epoch: int) -> None:
        self.epoch = epoch

    def on_train_epoch_start(self, trainer: pl.Trainer, *args: Any) -> None:
        if trainer.current_epoch == self.epoch:
            raise Killed


class KillInCheckpointWrite(pl.Callback):
    """The save at ``step`` dies half-way through writing its file."""

    def __init__(self, step: int) -> None:
        self.step = step

    def on_train_start(self, trainer: pl.Trainer, module: pl.LightningModule) -> None:
        io = trainer.strategy.checkpoint_io
        write = io.save_checkpoint

        def dying_write(checkpoint: dict, path: str, *args: Any, **kwargs: Any) -> None:
            if trainer.global_step >= self.step:
                Path(path).write_bytes(b"the first half of a checkpoint")
                raise Killed
            write(checkpoint, path, *args, **kwargs)

        io.save_checkpoint = dying_write


class TermAtBatch(pl.Callback):
    """SIGTERM to this process after ``batches`` training batches (inside an accumulation
    cycle, with ``optimization.accumulate_grad_batches`` not dividing it)."""

    def __init__(self, batches: int) -> None:
        self.batches, self.seen = batches, 0

    def on_train_batch_end(self, trainer: pl.Trainer, *args: Any) -> None:
        self.seen += 1
        if self.seen == self.batches:
            os.kill(os.getpid(), signal.SIGTERM)


class TermAt(KillMidEpoch):
    """SIGTERM to this process at ``step``, as a cluster's scheduler sends it."""

    def stop(self) -> None:
        os.kill(os.getpid(), signal.SIGTERM)


def train(
    folder: Path, overrides: tuple[str, ...], monkeypatch, stop: pl.Callback | None = None
) -> dict[str, Any] | None:
    """Train the named run ``folder`` (resuming it if it has checkpoints); its last.ckpt, or
    ``None`` where ``stop`` ended it."""
    from colorization.config import compose

    def with_stop(cfg: Any, extra: Any = ()) -> Any:
        trainer, loggers = build_trainer(cfg, extra)
        if stop is not None:
            trainer.callbacks.append(stop)
        return trainer, loggers

    monkeypatch.setattr(train_command, "build_trainer", with_stop)
    arguments = [*tiny(overrides), *RUN, f"run_name={folder.name}", *overrides]
    try:
        train_command.train(compose(arguments, output_dir=folder))
    except (Killed, SystemExit):
        assert stop is not None
        return None
    return torch.load(folder / "checkpoints" / "last.ckpt", weights_only=True)
