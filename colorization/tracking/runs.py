"""What every tracker run records beyond Lightning's metrics: its name and tags, the run it
continues when a run folder resumes, and the best checkpoint at the end.

A tracker logger (:class:`TrackerRun` subclass) is named by :func:`start_trackers` before its
run starts (the experiment after the task, the run after its folder; tags for task, model, seed,
run folder, and the study and trial of a search); the id of its run is kept in the run folder
(``trackers.json``), so that a resumed run continues the same tracker run instead of starting
another. DDP: Lightning loggers write on rank 0 only, and so does this module.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf
from pytorch_lightning.callbacks import ModelCheckpoint
from pytorch_lightning.utilities import rank_zero_only

from colorization.errors import UserError, first_line
from colorization.writing import write_text

log = logging.getLogger(__name__)

# trackers.json larger than this is not read (it holds a few ids).
MAX_IDS_BYTES = 64 * 1024


def require(module: str, logger: str, extra: str) -> None:
    """Stop in one line naming the extra when a tracker's package is not installed."""
    if importlib.util.find_spec(module) is None:
        raise UserError(
            f"logger={logger} needs the {module} package: pip install -e '.[{extra}]' "
            f"(or pip install {extra}), or choose another logger."
        )


# A tracker call that fails is tried again after these pauses (seconds), then the tracker is
# dropped for the rest of the run: about 40 s of a locked store or an unreachable server.
RETRY_PAUSES = (1.0, 4.0, 10.0, 25.0)


class TrackerRun(ABC):
    """The part of a tracker logger this framework adds: see the module docstring. Subclasses
    set ``tracker`` (the key in ``trackers.json``) and ``store`` (where it writes, for
    messages), and implement :meth:`describe`, :meth:`continue_run`, :meth:`tracker_id` and
    :meth:`record_best_checkpoint`.

    A tracker never stops training: once started, a call that fails is retried
    (:data:`RETRY_PAUSES`), then the tracker is left out for the rest of the run, said once;
    the metrics stay in TensorBoard and history.csv (:meth:`guarded`)."""

    tracker: str
    store: str = ""
    _monitored: ModelCheckpoint | None = None
    dropped: bool = False
    started: bool = False  # set by start_trackers: before, a failure stops the run in one line

    def guarded(self, what: str, call: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """``call(*args, **kwargs)``, retried after each of :data:`RETRY_PAUSES`; if it still
        fails, the tracker is dropped (``None`` is returned, now and for every later call).
        Before the tracker has started, errors go to :func:`starting` as they are."""
        if not self.started:
            return call(*args, **kwargs)
        if self.dropped:
            return None
        for pause in (*RETRY_PAUSES, None):
            try:
                return call(*args, **kwargs)
            except Exception as error:  # a tracker's store or server fails in many ways
                if pause is None:
                    self.dropped = True
                    reason = first_line(error)[:200]
                    log.warning(
                        "logger=%s could not %s at %s (%s: %s) after %d tries: training goes on "
                        "without it; the metrics stay in TensorBoard and history.csv.",
                        self.tracker,
                        what,
                        self.store,
                        type(error).__name__,
                        reason,
                        len(RETRY_PAUSES) + 1,
                    )
                    return None
                log.info(
                    "logger=%s: %s failed (%s); again in %.0f s.", self.tracker, what, error, pause
                )
                time.sleep(pause)
        return None

    @rank_zero_only
    def log_metrics(self, metrics: dict[str, float], step: int | None = None) -> None:
        self.guarded("log metrics", super().log_metrics, metrics, step)  # type: ignore[misc]

    @abstractmethod
    def describe(self, experiment: str, run_name: str, tags: dict[str, str]) -> None:
        """Name the run and tag it (before it starts)."""

    @abstractmethod
    def continue_run(self, tracker_id: str) -> None:
        """Log into the existing run ``tracker_id`` (before it starts)."""

    @abstractmethod
    def tracker_id(self) -> str | None:
        """The id of the run (starting it if it has not started)."""

    @abstractmethod
    def record_best_checkpoint(self, path: str) -> None:
        """Tag the run with the best checkpoint's path (and attach the file if asked to)."""

    def remember_monitored(self, checkpoint_callback: ModelCheckpoint) -> None:
        if checkpoint_callback.monitor:
            self._monitored = checkpoint_callback

    @rank_zero_only
    def record_best(self) -> None:
        best = self._monitored.best_model_path if self._monitored is not None else ""
        if best:
            self.record_best_checkpoint(best)


def run_tags(cfg: DictConfig) -> dict[str, str]:
    """Task, model, seed, run folder, and the study and trial of a search."""
    from colorization.tasks.registry import plugin_of_config

    tags = {
        "task": plugin_of_config(cfg).name,
        "model": str(OmegaConf.select(cfg, "model._target_", default="")).rsplit(".", 1)[-1],
        "seed": str(cfg.get("seed")),
        "run_folder": str(Path(cfg.paths.output_dir).resolve()),
    }
    study = OmegaConf.select(cfg, "search.study_name", default=None)
    trial = OmegaConf.select(cfg, "search.trial", default=None)
    if trial is not None:
        tags.update(study=str(study), trial=str(trial))
    return tags


def run_name(cfg: DictConfig) -> str:
    """The run folder, relative to ``paths.log_dir`` where it is under it."""
    folder = Path(cfg.paths.output_dir).resolve()
    try:
        return folder.relative_to(Path(cfg.paths.log_dir).resolve()).as_posix()
    except ValueError:
        return folder.name


def read_ids(path: Path) -> dict[str, str]:
    """The tracker ids a run folder recorded (none if the file is missing or unusable)."""
    try:
        if path.stat().st_size > MAX_IDS_BYTES:
            raise ValueError("too large")
        ids = json.loads(path.read_text())
        return {str(k): str(v) for k, v in ids.items()} if isinstance(ids, dict) else {}
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as error:
        log.warning("%s is unreadable (%s): new tracker runs are started.", path, error)
        return {}


def start_trackers(
    loggers: Sequence[Any], cfg: DictConfig, ids_file: Path, resuming: bool = False
) -> None:
    """Name and tag the tracker runs (when ``resuming`` a run, continuing those its folder
    recorded), log the resolved config to every logger as parameters, and record the trackers'
    run ids."""
    trackers = [logger for logger in loggers if isinstance(logger, TrackerRun)]
    recorded = read_ids(ids_file) if trackers and resuming else {}
    if trackers:
        tags, name = run_tags(cfg), run_name(cfg)
    for tracker in trackers:
        tracker.describe(tags["task"], name, tags)
        if tracker.tracker in recorded:
            starting(tracker, tracker.continue_run, recorded[tracker.tracker])
    params = OmegaConf.to_container(cfg, resolve=True)
    for logger in loggers:
        if isinstance(logger, TrackerRun):
            starting(logger, logger.log_hyperparams, params)
        else:
            logger.log_hyperparams(params)
    if trackers and rank_zero_only.rank == 0:
        ids = {**recorded, **{t.tracker: starting(t, t.tracker_id) for t in trackers}}
        ids_file.parent.mkdir(parents=True, exist_ok=True)
        write_text(ids_file, json.dumps({k: v for k, v in ids.items() if v}, indent=2) + "\n")
    for tracker in trackers:
        tracker.started = True


def starting(tracker: TrackerRun, call: Callable[..., Any], *args: Any) -> Any:
    """A tracker's first contact with its store, before training: a store it cannot use (a
    damaged or locked database, a server that does not answer) stops the run in one line naming
    it, while nothing has been trained yet."""
    try:
        return call(*args)
    except UserError:
        raise
    except Exception as error:  # a tracker's store fails in many ways
        raise unusable_store(tracker.tracker, tracker.store, error) from None


def unusable_store(tracker: str, store: str, error: Exception) -> UserError:
    """One line: the tracker, its store, what went wrong, and the ways out."""
    return UserError(
        f"logger={tracker} cannot use {store} ({type(error).__name__}: "
        f"{first_line(error)[:200]}). Repair or move that store aside (a new one is made), point "
        "the logger elsewhere, or train without it (logger=tensorboard)."
    )
