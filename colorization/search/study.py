"""The Optuna study behind a search: opened or continued, stale trials failed, budget counted.

A study lives in a storage, so a search survives the process running it: starting the same
command again continues the study. Which storage (:func:`default_storage`, :func:`storage`):

- ``sqlite:///<path>``: one machine (the default when the trials run on this machine). SQLite's
  locks are unreliable on network filesystems (NFS, Lustre): its own documentation warns.
- a journal file, ``journal:<path>`` or a path ending in ``.log``: Optuna's ``JournalStorage``
  with ``JournalFileBackend``, an append-only log whose lock is made for network filesystems
  (the default when the trials run as cluster jobs through a launcher, their folder shared).
- a database server's URL (``postgresql://...``, ``mysql+pymysql://...``): Optuna's
  ``RDBStorage``, for workers on many machines with no shared filesystem.

``n_trials`` is the study's total of *finished* (complete or pruned) trials; failed trials are
kept for the record and do not use the budget.

Each trial records the worker running it (host, pid, process start). A trial still marked
running whose worker on this host is gone (``kill -9``, a power cut) was interrupted: it is
recorded as failed when a worker starts. A running trial of a live worker, or of a worker on
another host, is left alone and counts towards the budget, so that N workers sharing one
storage together run ``n_trials``.
"""

from __future__ import annotations

import logging
import os
import random
import socket
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

import optuna
from optuna.trial import FrozenTrial, TrialState
from sqlalchemy.exc import SQLAlchemyError

from colorization.errors import UserError
from colorization.runs.lock import holder_is_running, process_start_time
from colorization.sqlite_urls import absolute_sqlite_url, sqlite_url

log = logging.getLogger(__name__)
T = TypeVar("T")

FINISHED = (TrialState.COMPLETE, TrialState.PRUNED)
# Study user attribute holding the pruner's config, so that each trial (maybe in another
# process) builds the same pruner for its report/should_prune calls.
PRUNER_ATTR = "pruner"
WORKER_ATTR = "worker"
REASON_ATTR = "fail_reason"
RUN_DIR_ATTR = "run_dir"


JOURNAL = "journal:"
SQLITE_FILE, JOURNAL_FILE = "study.db", "study.log"
# Launchers whose trials run on this machine (Hydra's own, submitit's local executor, joblib):
# their study stays in SQLite. Any other (SLURM, ...) runs trials as jobs on other machines.
LOCAL_LAUNCHERS = ("BasicLauncher", "LocalLauncher", "JoblibLauncher")


def journal_path(url: str) -> Path | None:
    """The journal file ``url`` names (``journal:<path>`` or ``<path>.log``), else None."""
    if url.startswith(JOURNAL):
        return Path(url[len(JOURNAL) :]).expanduser()
    if "://" not in url and url.endswith(".log"):
        return Path(url).expanduser()
    return None


def default_storage(folder: Path, launcher_target: str) -> str:
    """The study's storage in its folder: the one it already has, else a journal file when
    the launcher runs trials as jobs elsewhere (their folder is shared), else SQLite."""
    if (folder / SQLITE_FILE).exists():
        return sqlite_url(folder / SQLITE_FILE)
    if (folder / JOURNAL_FILE).exists():
        return JOURNAL + str(folder / JOURNAL_FILE)
    if launcher_target.rsplit(".", 1)[-1] in LOCAL_LAUNCHERS:
        return sqlite_url(folder / SQLITE_FILE)
    return JOURNAL + str(folder / JOURNAL_FILE)


def absolute_storage(url: str) -> str:
    """A journal or SQLite file given by a relative path as an absolute one, so that trials
    started elsewhere (another working directory, a cluster job) open the same file."""
    path = journal_path(url)
    if path is not None:
        return JOURNAL + str(path.absolute())
    return absolute_sqlite_url(url)


def shown_storage(url: str) -> str:
    """``url`` as it may be printed and written: a database password masked."""
    if journal_path(url) is not None or "@" not in url:
        return url
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def dashboard_target(url: str) -> str:
    """What ``optuna-dashboard`` is given to show the study: the journal file, or the URL."""
    path = journal_path(url)
    return shown_storage(url) if path is None else str(path)


def storage(url: str) -> optuna.storages.BaseStorage:
    """The storage ``url`` names (module docstring). SQLite waits for another worker's write
    instead of failing at once; a database that cannot be reached or lacks its driver stops in
    one line naming it."""
    path = journal_path(url)
    if path is not None:
        from optuna.storages.journal import JournalFileBackend

        path.parent.mkdir(parents=True, exist_ok=True)
        return optuna.storages.JournalStorage(JournalFileBackend(str(path)))
    if "://" not in url:
        raise UserError(
            f"hydra.sweeper.storage={url!r} names no storage: give sqlite:///<path>, a database "
            "URL (postgresql://user@host/db) or a journal file (journal:<path> or <path>.log)."
        )
    engine = {"connect_args": {"timeout": 60}} if url.startswith("sqlite") else {}
    try:
        return _retried(lambda: optuna.storages.RDBStorage(url, engine_kwargs=engine))
    except ImportError as error:  # Optuna's words for a missing driver, its cause SQLAlchemy's
        missing = getattr(error.__cause__, "name", None) or "for its database"
        raise UserError(
            f"The study's storage {shown_storage(url)} needs a database driver ({missing}): "
            "pip install it (PostgreSQL: pip install -e '.[postgres]')."
        ) from None
    except SQLAlchemyError as error:
        first = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
        raise UserError(f"Cannot open the study's storage {shown_storage(url)}: {first}") from None


def _retried(make: Callable[[], T], attempts: int = 6) -> T:
    """``make()``, tried again a few times when the database refuses: workers that start
    together race to create the same tables and study (a unique-constraint or lock error for
    all but one of them)."""
    for attempt in range(attempts):
        try:
            return make()
        except SQLAlchemyError:
            if attempt == attempts - 1:
                raise
            time.sleep(0.2 + attempt * 0.5 + random.random() * 0.5)
    raise AssertionError("unreachable")


def open_study(
    name: str,
    url: str,
    direction: str,
    pruner: optuna.pruners.BasePruner | None,
    pruner_config: Mapping[str, Any] | None,
) -> optuna.Study:
    """Create the study or load it from ``url``; its direction must be the one asked for."""
    if direction not in ("maximize", "minimize"):
        raise UserError(f"hydra.sweeper.direction must be maximize or minimize, got {direction!r}.")
    rdb = storage(url)
    study = _retried(
        lambda: optuna.create_study(
            study_name=name, storage=rdb, pruner=pruner, direction=direction, load_if_exists=True
        )
    )
    if study.direction.name.lower() != direction:
        raise UserError(
            f"Study {name!r} in {shown_storage(url)} was created to "
            f"{study.direction.name.lower()}, not to {direction}: give another "
            "hydra.sweeper.study_name."
        )
    study.set_user_attr(PRUNER_ATTR, dict(pruner_config) if pruner_config else None)
    return study


def seeded_sampler(config: Mapping[str, Any] | None, study: optuna.Study) -> Any:
    """The configured sampler for the next trial.

    A seeded sampler restarted with its seed would draw again the parameters it drew before a
    crash (the random start-up trials of TPE, say), so its seed is offset by the study's number
    of trials: reproducible for the same history, new draws for each trial.
    """
    if not config:
        return None
    from hydra.utils import instantiate

    seed = config.get("seed")
    if seed is None:
        return instantiate(config)
    return instantiate(config, seed=int(seed) + len(study.get_trials(deepcopy=False)))


def this_worker() -> dict[str, Any]:
    pid = os.getpid()
    return {"host": socket.gethostname(), "pid": pid, "process_start": process_start_time(pid)}


def fail_interrupted_trials(study: optuna.Study) -> list[int]:
    """Record as failed the running trials whose worker on this host has died; their numbers."""
    failed = []
    for trial in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        worker = trial.user_attrs.get(WORKER_ATTR)
        if worker is None or holder_is_running(worker) is not False:
            continue
        reason = f"interrupted: its worker (pid {worker['pid']}) ended without recording a result"
        record_failure(study, trial, reason)
        failed.append(trial.number)
    return failed


def record_failure(study: optuna.Study, trial: FrozenTrial | optuna.Trial, reason: str) -> None:
    # Optuna's Trial(study, trial_id) is how its own integrations write to a trial by id.
    trial_id = trial._trial_id
    optuna.Trial(study, trial_id).set_user_attr(REASON_ATTR, reason)
    study.tell(trial.number, state=TrialState.FAIL)


def unused_budget(study: optuna.Study, n_trials: int) -> int:
    """Trials still to start: ``n_trials`` minus the finished ones and those running now."""
    trials = study.get_trials(deepcopy=False, states=(*FINISHED, TrialState.RUNNING))
    return n_trials - len(trials)


def finished_count(study: optuna.Study) -> int:
    return len(study.get_trials(deepcopy=False, states=FINISHED))
