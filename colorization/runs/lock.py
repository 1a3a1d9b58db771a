"""A run folder belongs to one job at a time: ``<run>/.lock``.

The process that starts training in a run folder creates the lock file atomically (``O_EXCL``)
with its pid, host and start time, and removes it when it ends. A second process on the same run
stops at once, naming the holder and the ways out. A lock whose process is gone (killed, even by
``kill -9``) is taken over automatically where that can be told: on the same host, by the pid
and the process's start time (a reused pid does not count). A lock held from another host sharing
the file system cannot be checked from here: the message says how to remove it.

A job that SLURM requeues (after preemption, or by a launcher at its time limit) keeps its job
id but may restart on another node: a lock recorded with the same ``SLURM_JOB_ID`` is its own
earlier attempt, which SLURM has ended, and is taken over.

The lock belongs to the job, not the process: the other ranks of one multi-process launch
(Lightning's DDP starts the entry point again for each rank, SLURM's srun starts them all) join
the job of rank 0 instead of refusing.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import time
from pathlib import Path

from colorization.errors import RunError

log = logging.getLogger(__name__)

_RANK_VARIABLES = ("RANK", "LOCAL_RANK", "NODE_RANK", "SLURM_PROCID", "GROUP_RANK")


def follows_a_job() -> bool:
    """True in the processes of a multi-process launch other than rank 0."""
    for name in _RANK_VARIABLES:
        try:
            if int(os.environ.get(name, "0")) > 0:
                return True
        except ValueError:
            continue
    return False


def process_start_time(pid: int) -> str | None:
    """When ``pid`` started (Linux: field 22 of /proc/<pid>/stat), to tell a reused pid apart."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[-1].split()[19]


def slurm_job() -> str | None:
    """This process's SLURM job id (with the array task, if any), or None outside SLURM."""
    job = os.environ.get("SLURM_JOB_ID")
    task = os.environ.get("SLURM_ARRAY_TASK_ID")
    return f"{job}_{task}" if job and task else job


def holder_is_running(holder: dict) -> bool | None:
    """True / False where it can be told, ``None`` for a holder on another host."""
    if holder.get("slurm_job") and holder.get("slurm_job") == slurm_job():
        return False  # an earlier attempt of this requeued job: SLURM ended it
    if holder.get("host") != socket.gethostname():
        return None
    pid = int(holder.get("pid", -1))
    if not pid_is_running(pid):
        return False
    recorded = holder.get("process_start")
    return recorded is None or recorded == process_start_time(pid)


def read_holder(lock: str | Path) -> dict:
    """What a lock file says of the process holding it (empty: no lock, or unreadable)."""
    try:
        return json.loads(Path(lock).read_text())
    except (OSError, ValueError):
        return {}


def pid_is_running(pid: int) -> bool:
    """Whether a process of this host with ``pid`` runs (for per-process partial files)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class RunLock:
    """``with RunLock(path):`` holds the run's lock for the block (joins the job on ranks > 0)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.held = False

    def _describe(self) -> dict:
        pid = os.getpid()
        return {
            "pid": pid,
            "host": socket.gethostname(),
            "started": time.strftime("%Y-%m-%d %H:%M:%S"),
            "process_start": process_start_time(pid),
            "slurm_job": slurm_job(),
        }

    def acquire(self) -> None:
        if follows_a_job():
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        for _ in range(3):
            try:
                descriptor = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                self._take_over_or_refuse()
                continue
            try:
                with os.fdopen(descriptor, "w") as handle:
                    json.dump(self._describe(), handle)
            except OSError as error:  # a full disk: no empty lock is left behind
                self.path.unlink(missing_ok=True)
                raise OSError(error.errno, error.strerror, str(self.path)) from error
            self.held = True
            return
        raise RunError(f"Could not take the lock {self.path}: other processes keep taking it.")

    def _take_over_or_refuse(self) -> None:
        holder = read_holder(self.path)
        if not holder:  # being written this instant, or an empty leftover
            age = time.time() - self.path.stat().st_mtime if self.path.exists() else 0
            if age < 5:
                time.sleep(0.2)
                return
        running = holder_is_running(holder) if holder else False
        if running is False:
            log.warning(
                "Taking over %s: its process %s on %s is gone.",
                self.path,
                holder.get("pid", "?"),
                holder.get("host", "?"),
            )
            self.path.unlink(missing_ok=True)
            return
        where = f"process {holder.get('pid')} on {holder.get('host')}"
        since = f" since {holder['started']}" if "started" in holder else ""
        unsure = (
            " It runs on another host, so this one cannot tell whether it is still alive."
            if running is None
            else ""
        )
        raise RunError(
            f"Run folder {self.path.parent} is in use by {where}{since}.{unsure} Wait for it to "
            f"finish, pick another run_name, or, if that process is certainly gone, delete "
            f"{self.path}."
        )

    def release(self) -> None:
        if self.held and read_holder(self.path).get("pid") == os.getpid():
            self.path.unlink(missing_ok=True)
        self.held = False

    def __enter__(self) -> RunLock:
        self.acquire()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.release()


def is_training(lock: str | Path) -> bool:
    """Whether the run whose lock file this is is being trained now (or by a process on
    another host, which cannot be told apart)."""
    holder = read_holder(lock)
    return bool(holder) and holder_is_running(holder) is not False
