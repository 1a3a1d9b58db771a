"""Every use of Lightning internals, in one place.

The framework needs a few things Lightning offers no public API for. Each is wrapped here and
pinned by ``tests/unit/test_lightning_compat.py``, so a Lightning upgrade that moves one fails
there, loudly, instead of somewhere in a training run. ``pyproject.toml`` bounds
``pytorch-lightning`` to the versions these were tested with (:data:`TESTED_LIGHTNING`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import pytorch_lightning as pl
import torch
from pytorch_lightning.callbacks import ModelCheckpoint
from pytorch_lightning.utilities.exceptions import SIGTERMException
from torch.utils.data import DataLoader

log = logging.getLogger(__name__)

TESTED_LIGHTNING = ">=2.4,<2.7"

# ModelCheckpoint's method that writes one file; SafeModelCheckpoint overrides it to write
# atomically and to refuse non-finite weights. Lightning calls it for every schedule.
CHECKPOINT_SAVE_HOOK = "_save_checkpoint"
if not callable(getattr(ModelCheckpoint, CHECKPOINT_SAVE_HOOK, None)):  # pragma: no cover
    raise ImportError(
        f"pytorch_lightning {pl.__version__}: ModelCheckpoint.{CHECKPOINT_SAVE_HOOK} is gone; "
        f"this framework was tested with pytorch-lightning{TESTED_LIGHTNING}."
    )


def step_without_counting(
    trainer: pl.Trainer, optimizer: torch.optim.Optimizer, model: pl.LightningModule
) -> None:
    """Step ``optimizer`` through the strategy's precision plugin (AMP loss scaling, the
    ``on_before_optimizer_step`` hook) without counting a global step.

    Lightning counts every ``LightningOptimizer.step()`` in manual optimisation, so stepping a
    second network (a discriminator) through its wrapper would double ``global_step``. The
    closure is a no-op: the gradients were computed before the call.
    """
    trainer.strategy.optimizer_step(optimizer, lambda: None, model=model)


def record_checkpoint_saved(callback: ModelCheckpoint, trainer: pl.Trainer, filepath: str) -> None:
    """What ``ModelCheckpoint._save_checkpoint`` records after a save, so that the callback
    skips a second save at the same step and knows its newest file."""
    callback._last_global_step_saved = trainer.global_step
    callback._last_checkpoint_saved = filepath


def shutdown_loader_workers(loader: DataLoader) -> None:
    """Stop the worker processes of a DataLoader's live iterator (torch keeps persistent workers
    until garbage collection, which at interpreter exit aborts them noisily).

    A worker that dies *while* it shuts down (torch then raises "DataLoader worker ... is killed
    by signal") has delivered every batch that was used: that is logged, not raised, so the end
    of a finished run or benchmark row is not turned into a crash (docs/benchmark.md, 0.6).
    """
    iterator = getattr(loader, "_iterator", None)
    shutdown: Callable[[], Any] | None = getattr(iterator, "_shutdown_workers", None)
    if shutdown is None:
        return
    try:
        shutdown()
    except RuntimeError as error:
        if "DataLoader worker" not in str(error):
            raise
        log.warning("A loader worker died while shutting down (%s); no batch was lost.", error)


def shut_down_fit_loaders(trainer: pl.Trainer) -> None:
    """Stop every loader worker of a ``fit`` that ended by an exception.

    Lightning tears down only the loop active when the error came: an error raised during
    validation (a pruned search trial, a failing metric) leaves the training loader's persistent
    workers alive. They ignore SIGTERM (see ``colorization.interrupt``), so the interpreter would
    then wait for them forever at exit; a search would pile them up trial after trial.
    """
    trainer.fit_loop.teardown()


def request_stop(trainer: pl.Trainer) -> None:
    """Ask the fit loop to stop at the next batch boundary, exactly as Lightning's own SIGTERM
    handler does (its loops then raise ``SIGTERMException``, a ``SystemExit``)."""
    trainer._signal_connector.received_sigterm = True


def is_stop_request(error: BaseException) -> bool:
    """Whether ``error`` is the fit loop stopping after :func:`request_stop` (or a SIGTERM)."""
    return isinstance(error, SIGTERMException)


def logs_this_step(trainer: pl.Trainer) -> bool:
    """Whether Lightning writes step metrics to the loggers at this training step (every
    ``trainer.log_every_n_steps``): the steps at which reading values on the host is due anyway."""
    return bool(trainer._logger_connector.should_update_logs)


def loss_scaler(trainer: pl.Trainer) -> torch.amp.GradScaler | None:
    """The fp16 ``GradScaler`` of the trainer's precision plugin (``16-mixed``), else None."""
    scaler = getattr(trainer.precision_plugin, "scaler", None)
    return scaler if scaler is not None and scaler.is_enabled() else None
