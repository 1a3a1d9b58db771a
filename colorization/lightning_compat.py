"""Every use of Lightning internals, in one place.

The framework needs a few things Lightning offers no public API for. Each is wrapped here and
pinned by ``tests/unit/test_lightning_compat.py``, so a Lightning upgrade that moves one fails
there, loudly, instead of somewhere in a training run. ``pyproject.toml`` bounds
``pytorch-lightning`` to the versions these were tested with (:data:`TESTED_LIGHTNING`).
"""

from __future__ import annotations

import importlib
import logging
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import pytorch_lightning as pl
import torch
from lightning_fabric.utilities.seed import pl_worker_init_function as pl_worker_init_function
from pytorch_lightning.callbacks import ModelCheckpoint
from pytorch_lightning.overrides.distributed import (
    UnrepeatedDistributedSampler as UnrepeatedDistributedSampler,
)
from pytorch_lightning.utilities.exceptions import SIGTERMException
from torch.utils.data import DataLoader

log = logging.getLogger(__name__)

# Re-exported above for the DataModules, used as they are: Lightning's per-worker seeding (each
# loader worker seeds itself from the global seed, its rank and its id) and the sampler that
# splits an evaluation set over ranks without repeating images (DistributedSampler pads).

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
    workers alive. They ignore SIGTERM (see ``colorization.runs.interrupt``), so the interpreter
    would then wait for them forever at exit; a search would pile them up trial after trial.
    """
    trainer.fit_loop.teardown()


def request_stop(trainer: pl.Trainer) -> None:
    """Ask the fit loop to stop at the next batch boundary, exactly as Lightning's own SIGTERM
    handler does (its loops then raise ``SIGTERMException``, a ``SystemExit``)."""
    trainer._signal_connector.received_sigterm = True


def act_on_stop_only_when(trainer: pl.Trainer, ready: Callable[[], bool] | None) -> None:
    """Lightning acts on a stop request (its SIGTERM flag, read at each batch's end and under
    DDP broadcast from rank 0) only while ``ready()``; ``None`` restores its own flag."""
    connector = trainer._signal_connector
    received = bool(connector.received_sigterm)
    if ready is None:
        connector.__class__ = getattr(connector, "_lightning_class", type(connector))
        connector.received_sigterm = received
        return

    class DeferredStop(type(connector)):  # type: ignore[misc]
        _lightning_class = type(connector)

        @property
        def received_sigterm(self) -> bool:
            return self._stop_requested and ready()

        @received_sigterm.setter
        def received_sigterm(self, value: bool) -> None:
            self._stop_requested = value

    connector.__dict__.pop("received_sigterm", None)
    connector.__class__ = DeferredStop
    connector.received_sigterm = received


def is_stop_request(error: BaseException) -> bool:
    """Whether ``error`` is the fit loop stopping after :func:`request_stop` (or a SIGTERM)."""
    return isinstance(error, SIGTERMException)


def logs_this_step(trainer: pl.Trainer) -> bool:
    """Whether Lightning writes step metrics to the loggers at this training step (every
    ``trainer.log_every_n_steps``): the steps at which reading values on the host is due anyway."""
    return bool(trainer._logger_connector.should_update_logs)


def last_batch_of_epoch(trainer: pl.Trainer) -> bool:
    """Whether this training batch is the epoch's last, ``limit_train_batches`` included (as
    Lightning's own accumulation decides it), or the run's last (``max_steps`` reached)."""
    epoch_loop = trainer.fit_loop.epoch_loop
    progress = epoch_loop.batch_progress
    epoch_done = progress.current.ready == trainer.num_training_batches or progress.is_last_batch
    return epoch_done or 0 < trainer.max_steps <= trainer.global_step


def loss_scaler(trainer: pl.Trainer) -> torch.amp.GradScaler | None:
    """The fp16 ``GradScaler`` of the trainer's precision plugin (``16-mixed``), else None."""
    scaler = getattr(trainer.precision_plugin, "scaler", None)
    return scaler if scaler is not None and scaler.is_enabled() else None


# Where Lightning's DDP launcher builds the command of ranks > 0 under Hydra.
_SUBPROCESS_LAUNCHER = "pytorch_lightning.strategies.launchers.subprocess_script"
# Hydra's own overrides a rank's command must not carry (they belong to the sweep, or are set
# for the rank) and the command-line flags that take a value.
_SWEEP_ONLY = ("hydra.mode", "hydra.sweep", "hydra.sweeper", "hydra/sweeper", "hydra.launcher")
_SWEEP_ONLY += ("hydra/launcher", "hydra.run.dir", "hydra.job.name", "hydra.output_subdir")
_VALUE_FLAGS = ("--config-path", "-cp", "--config-name", "-cn", "--config-dir", "-cd")


def config_flags(arguments: Sequence[str]) -> list[str]:
    """The Hydra flags of a command line that say where the config is (``--config-dir x``,
    ``-cn=y``), without the overrides, ``-m`` and the rest."""
    kept: list[str] = []
    arguments = list(arguments)
    for index, argument in enumerate(arguments):
        name = argument.split("=", 1)[0]
        if name in _VALUE_FLAGS:
            kept.append(argument)
            if "=" not in argument and index + 1 < len(arguments):
                kept.append(arguments[index + 1])
    return kept


def hydra_job_command(local_rank: int) -> tuple[list[str], str]:
    """The command (and working folder) that starts rank ``local_rank`` of a Hydra job.

    Lightning's own version repeats the parent's command line, which in a multirun
    (``python -m colorization.train -m model=unet,res_unet trainer.devices=2``) starts the whole
    sweep again in every rank: duplicated run folders, and ranks of different jobs that wait
    for each other. This one starts *this job*: its own overrides (``hydra.overrides.task``,
    the values the sweeper chose) in its own folder (``hydra.runtime.output_dir``).
    """
    from hydra.core.hydra_config import HydraConfig
    from hydra.utils import get_original_cwd, to_absolute_path

    import __main__

    hydra = HydraConfig.get()
    if __main__.__spec__ is None:
        command = [sys.executable, to_absolute_path(sys.argv[0])]
    else:
        command = [sys.executable, "-m", __main__.__spec__.name]
    command += config_flags(sys.argv[1:])
    command += list(hydra.overrides.task)
    command += [o for o in hydra.overrides.hydra if not o.lstrip("~+").startswith(_SWEEP_ONLY)]
    command += [
        f'hydra.run.dir="{hydra.runtime.output_dir}"',
        f"hydra.job.name=train_ddp_process_{local_rank}",
        "hydra.output_subdir=null",
    ]
    return command, get_original_cwd()


def start_ranks_as_hydra_jobs() -> None:
    """Make Lightning's DDP launcher start each rank with :func:`hydra_job_command`."""
    launcher = importlib.import_module(_SUBPROCESS_LAUNCHER)
    if not callable(getattr(launcher, "_hydra_subprocess_cmd", None)):  # pragma: no cover
        raise ImportError(
            f"pytorch_lightning {pl.__version__}: {_SUBPROCESS_LAUNCHER}._hydra_subprocess_cmd "
            f"is gone; this framework was tested with pytorch-lightning{TESTED_LIGHTNING}."
        )
    launcher._hydra_subprocess_cmd = hydra_job_command


# What Lightning's DDP launcher writes into the launching process's environment.
_LAUNCH_VARIABLES = ("MASTER_ADDR", "MASTER_PORT", "NODE_RANK", "LOCAL_RANK", "WORLD_SIZE")


@contextmanager
def ddp_launch_scope() -> Iterator[None]:
    """Undo, after the block, what a DDP launch inside it left in this process: the variables
    Lightning's launcher wrote into ``os.environ``, and the process group.

    Lightning leaves both after ``fit``: the next job of a Hydra multirun, in the same process,
    would take the variables for a launch made by someone else (starting no ranks of its own)
    and reuse the old process group, whose other ranks have exited.
    """
    before = {name: os.environ.get(name) for name in _LAUNCH_VARIABLES}
    had_group = torch.distributed.is_available() and torch.distributed.is_initialized()
    try:
        yield
    finally:
        for name, value in before.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        if (
            not had_group
            and torch.distributed.is_available()
            and torch.distributed.is_initialized()
        ):
            torch.distributed.destroy_process_group()


# --- the trackers: Lightning's MLflow and W&B loggers named, continued and closed ------------
# Their constructors take no run name for MLflow's experiment after the fact, no run to
# continue once built, and no way to forget a finished W&B run: the attributes below are the
# ones their own code reads when it starts the run.


def flat_parameters(params: Any) -> dict[str, Any]:
    """Hyper-parameters flattened as Lightning's loggers log them (``group/key``)."""
    from lightning_fabric.utilities.logger import _convert_params, _flatten_dict

    return _flatten_dict(_convert_params(params))


def name_mlflow_run(logger: Any, run_name: str, experiment: str | None = None) -> None:
    """Name the MLflow run (and its experiment) before the logger starts it."""
    if experiment is not None:
        logger._experiment_name = experiment
    logger._run_name = run_name


def mlflow_client(logger: Any) -> Any:
    """The MLflow client the logger opened (its store is open once the logger is built)."""
    return logger._mlflow_client


def continue_mlflow_run(logger: Any, run_id: str) -> None:
    """Make the logger log into the existing MLflow run ``run_id`` instead of a new one."""
    logger._run_id = run_id


def mlflow_run_started(logger: Any) -> bool:
    return bool(logger._initialized)


def name_wandb_run(logger: Any, run_name: str, tags: list[str], project: str | None = None) -> None:
    """Name and tag the W&B run (and its project) before the logger starts it."""
    if project is not None:
        logger._wandb_init["project"] = logger._project = project
    logger._wandb_init["name"] = logger._name = run_name
    logger._wandb_init["tags"] = tags


def continue_wandb_run(logger: Any, run_id: str) -> None:
    """Make the logger resume the W&B run ``run_id`` when it starts."""
    logger._wandb_init["id"] = logger._id = run_id


def wandb_run(logger: Any) -> Any | None:
    """The W&B run the logger started, or None (without starting one, as ``experiment``
    would)."""
    return logger._experiment


def forget_wandb_run(logger: Any) -> None:
    """After the run is finished: the logger holds no run (a later use starts none)."""
    logger._experiment = None
