"""Checkpoints that are never broken or non-finite, and the one callback that keeps last.ckpt."""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from weakref import proxy

import pytorch_lightning as pl
import torch
from pytorch_lightning.callbacks import ModelCheckpoint

from colorization.errors import RunError, is_no_room, no_room_message
from colorization.lightning_compat import is_stop_request, record_checkpoint_saved

log = logging.getLogger(__name__)
PARTIAL_SUFFIX = ".partial"


def partial_path(filepath: str) -> str:
    """Where this process writes ``filepath`` before renaming it: ``<name>.<pid>.partial``, so
    no process can remove or overwrite another's save in progress."""
    return f"{filepath}.{os.getpid()}{PARTIAL_SUFFIX}"


def ensure_room_for_checkpoints(module: torch.nn.Module, folder: Path) -> None:
    """Stop before training if ``folder`` cannot hold a few checkpoints of ``module`` (weights
    and optimizer moments, roughly three times the weights each) and its logs."""
    folder.mkdir(parents=True, exist_ok=True)
    weights = sum(t.numel() * t.element_size() for t in module.state_dict().values())
    needed = 2 * 3 * weights + 16 * 2**20
    if shutil.disk_usage(folder).free < needed:
        raise RunError(no_room_message(folder, needed))


def weights_are_finite(module: torch.nn.Module) -> bool:
    """Whether every floating-point tensor of ``module``'s state is finite (read on the host
    once, not once per tensor)."""
    tensors = [t for t in module.state_dict().values() if t.is_floating_point()]
    checks = [torch.isfinite(t).all() for t in tensors]
    return bool(torch.stack(checks).all()) if checks else True


class SafeModelCheckpoint(ModelCheckpoint):
    """Lightning's ModelCheckpoint, with two guarantees:

    - atomic files: the checkpoint is written to ``<name>.partial`` and renamed over the target,
      so a crash or ``kill -9`` during a save never leaves a truncated ``last.ckpt``;
    - no NaN: a model with non-finite weights is not saved (a warning says so), so the newest
      checkpoint is always one worth resuming from.
    """

    def write_checkpoint(self, trainer: pl.Trainer, filepath: str) -> bool:
        """Write ``filepath`` atomically; ``False`` (and nothing written) for NaN weights."""
        if not weights_are_finite(trainer.lightning_module):
            log.warning("Not saving %s: the model weights contain NaN or inf.", filepath)
            return False
        partial = partial_path(filepath)
        try:
            trainer.save_checkpoint(partial, self.save_weights_only)
            if trainer.is_global_zero:
                os.replace(partial, filepath)
        except (OSError, RuntimeError) as error:
            Path(partial).unlink(missing_ok=True)
            if is_no_room(error):
                raise RunError(no_room_message(Path(filepath).parent, error=error)) from None
            raise
        if trainer.is_global_zero:
            for logger in trainer.loggers:
                logger.after_save_checkpoint(proxy(self))
        return True

    def _save_checkpoint(self, trainer: pl.Trainer, filepath: str) -> None:
        # Lightning's hook for every save (lightning_compat.CHECKPOINT_SAVE_HOOK).
        if self.write_checkpoint(trainer, filepath):
            record_checkpoint_saved(self, trainer, filepath)


class LastCheckpoint(SafeModelCheckpoint):
    """``<dirpath>/last.ckpt``, rewritten at the end of every training epoch and, with
    ``every_n_train_steps``, every that many optimizer steps in between (a crash mid-epoch then
    loses at most that many steps), and when training is stopped by SIGTERM or SIGINT (at the
    batch boundary the stop waits for; see :mod:`colorization.runs.interrupt`). One file, one
    callback, every schedule.

    Lightning's ModelCheckpoint takes one schedule per instance; the epoch schedule is its own,
    the step schedule is added here. A step save does not stand in for the epoch-end save at the
    same step: only the latter records a finished epoch, which resuming needs.
    """

    def __init__(
        self, dirpath: str, every_n_train_steps: int | None = 100, filename: str = "last"
    ) -> None:
        if every_n_train_steps is not None and every_n_train_steps < 1:
            raise ValueError(
                "callbacks.last_checkpoint.every_n_train_steps must be >= 1 or null, "
                f"got {every_n_train_steps}."
            )
        super().__init__(
            dirpath=dirpath,
            filename=filename,
            monitor=None,
            save_top_k=1,
            every_n_epochs=1,
            enable_version_counter=False,
        )
        self.step_interval = every_n_train_steps
        self._last_step_written = -1

    def on_train_batch_end(
        self,
        trainer: pl.Trainer,
        pl_module: pl.LightningModule,
        outputs: Any,
        batch: Any,
        batch_idx: int,
    ) -> None:
        # Lightning's own batch-end saving has nothing to do here (its step schedule is off), so
        # this replaces it rather than extending it.
        step = trainer.global_step
        due = self.step_interval is not None and step > 0 and step % self.step_interval == 0
        if not due or step == self._last_step_written:
            return
        if batch_idx + 1 >= trainer.num_training_batches:
            # The epoch-end save follows its validation. Lightning resumes a save made here as a
            # finished epoch, without that validation or the schedulers' epoch step.
            return
        if trainer.fast_dev_run or trainer.sanity_checking:
            return
        self._last_step_written = step
        self.write_checkpoint(trainer, self.format_checkpoint_name({}))

    def on_exception(
        self, trainer: pl.Trainer, pl_module: pl.LightningModule, exception: BaseException
    ) -> None:
        # Every rank saves (Lightning writes on rank 0 and then waits for all ranks): under DDP a
        # stop reaches all of them at the same step.
        if not is_stop_request(exception):
            return
        path = self.format_checkpoint_name({})
        if self.write_checkpoint(trainer, path) and trainer.is_global_zero:
            log.warning(
                "Stopped at epoch %d, global step %d; saved %s. Start the same command again to "
                "resume (a named run resumes by itself; otherwise add ckpt_path=%s).",
                trainer.current_epoch,
                trainer.global_step,
                path,
                path,
            )


def load_checkpoint(path: str | Path) -> dict[str, Any]:
    """Load a checkpoint with torch's safe unpickler and check it is a training checkpoint."""
    state = torch.load(path, map_location="cpu", weights_only=True)
    if not isinstance(state, dict):
        raise ValueError(f"not a training checkpoint (it holds a {type(state).__name__})")
    missing = {"state_dict", "global_step", "epoch"} - set(state)
    if missing:
        raise ValueError(f"not a training checkpoint (missing {', '.join(sorted(missing))})")
    return state


def newest_checkpoint(
    candidates: Iterable[Path],
) -> tuple[Path | None, dict[str, Any] | None]:
    """The checkpoint among ``candidates`` that loads and has the highest global step (newest
    file on ties), with its state; files that do not load are skipped with a warning."""
    best: tuple[tuple[int, float], Path, dict[str, Any]] | None = None
    for path in candidates:
        try:
            state = load_checkpoint(path)
        except Exception as error:  # any failure to load means: do not resume from it
            log.warning("Skipping checkpoint %s: it does not load (%s).", path, error)
            continue
        rank = (int(state["global_step"]), path.stat().st_mtime)
        if best is None or rank > best[0]:
            best = (rank, path, state)
    if best is None:
        return None, None
    return best[1], best[2]
