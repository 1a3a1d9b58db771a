"""colorization.runs.lock: one job per run folder; stale locks taken over; other ranks join."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from colorization.errors import RunError
from colorization.runs.lock import RunLock, follows_a_job


def test_a_second_holder_is_refused_with_the_holder_and_the_ways_out(tmp_path: Path) -> None:
    lock = tmp_path / ".lock"
    with RunLock(lock):
        holder = json.loads(lock.read_text())
        assert holder["pid"] == os.getpid() and holder["host"] == socket.gethostname()
        with pytest.raises(RunError, match=rf"in use by process {os.getpid()}.*another run_name"):
            RunLock(lock).acquire()
    assert not lock.exists()  # released


def test_a_lock_of_a_killed_process_is_taken_over(tmp_path: Path, caplog) -> None:
    command = [sys.executable, "-c", "import os; print(os.getpid())"]
    dead = subprocess.run(command, check=True, capture_output=True, text=True)
    lock = tmp_path / ".lock"
    lock.write_text(json.dumps({"pid": int(dead.stdout), "host": socket.gethostname()}))
    with RunLock(lock):
        assert json.loads(lock.read_text())["pid"] == os.getpid()
    assert "is gone" in caplog.text


def test_a_reused_pid_does_not_keep_a_lock(tmp_path: Path) -> None:
    lock = tmp_path / ".lock"
    record = {"pid": os.getpid(), "host": socket.gethostname(), "process_start": "0"}
    lock.write_text(json.dumps(record))  # our pid, but another process's start time
    with RunLock(lock):
        assert json.loads(lock.read_text())["process_start"] != "0"


def test_a_lock_from_another_host_is_not_guessed_about(tmp_path: Path) -> None:
    lock = tmp_path / ".lock"
    lock.write_text(json.dumps({"pid": 1, "host": "elsewhere", "started": "today"}))
    with pytest.raises(RunError, match=f"another host.*delete {lock}"):
        RunLock(lock).acquire()


def test_other_ranks_of_one_launch_join_the_job(tmp_path: Path, monkeypatch) -> None:
    lock = tmp_path / ".lock"
    with RunLock(lock):
        monkeypatch.setenv("LOCAL_RANK", "1")
        assert follows_a_job()
        with RunLock(lock) as follower:
            assert not follower.held
        assert lock.exists()  # a follower never removes the job's lock


def test_a_requeued_slurm_job_takes_over_its_own_lock(tmp_path: Path, monkeypatch) -> None:
    """A requeued job keeps its id but may restart on another node: its earlier attempt's lock
    is its own. Another job's lock from another host is still refused."""
    lock = tmp_path / ".lock"
    monkeypatch.setenv("SLURM_JOB_ID", "4242")
    monkeypatch.delenv("SLURM_ARRAY_TASK_ID", raising=False)
    lock.write_text(json.dumps({"pid": 1, "host": "node-a", "slurm_job": "4242"}))
    with RunLock(lock):
        assert json.loads(lock.read_text())["slurm_job"] == "4242"
    lock.write_text(json.dumps({"pid": 1, "host": "node-a", "slurm_job": "777"}))
    with pytest.raises(RunError, match="another host"):
        RunLock(lock).acquire()


def test_a_full_disk_leaves_no_empty_lock_and_names_the_folder(tmp_path: Path, monkeypatch) -> None:
    import errno

    from colorization.errors import user_error

    def full(*args: object, **kwargs: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(json, "dump", full)
    lock = RunLock(tmp_path / "run" / ".lock")
    with pytest.raises(OSError) as raised:
        lock.acquire()
    assert not lock.path.exists() and not lock.held
    assert str(user_error(raised.value)).startswith(f"Cannot write to {tmp_path / 'run'} (")
