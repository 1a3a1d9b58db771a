"""Searches on the storages a cluster uses, run as users run them: four workers share one
study and one is killed with kill -9 mid-trial (a journal file, a real PostgreSQL server, SQLite
on a local disk), and a launcher's parallel jobs report to a journal file."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import time
from pathlib import Path

import optuna
import pytest
from helpers import search_command
from optuna.trial import TrialState

from colorization.search.study import sqlite_url, storage

pytestmark = pytest.mark.slow  # four workers at once, three storages: about four minutes
STUDY = "colorization_optuna"


@pytest.fixture(params=["journal", "postgresql", "sqlite"])
def shared_storage(request, tmp_path: Path) -> str:
    folder = tmp_path / "shared"
    folder.mkdir()
    if request.param == "sqlite":
        return sqlite_url(folder / "study.db")
    if request.param == "journal":
        return f"journal:{folder / 'study.log'}"
    server = request.getfixturevalue("postgres_url")
    database = "e_" + hashlib.sha1(request.node.name.encode()).hexdigest()[:16]
    import psycopg

    with psycopg.connect(server, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{database}"')
    return server.rsplit("/", 1)[0] + f"/{database}"


def load(url: str) -> optuna.Study:
    return optuna.load_study(study_name=STUDY, storage=storage(url))


def trials_of(url: str) -> list:
    try:
        return load(url).get_trials(deepcopy=False)
    except KeyError:  # the study is not created yet
        return []


def test_four_workers_share_a_study_and_one_killed_mid_trial_loses_nothing(
    shared_storage: str, tmp_path: Path
) -> None:
    command = search_command(
        tmp_path / "out",
        "hydra.sweeper.n_trials=6",
        "trainer.max_epochs=4",
        f"hydra.sweeper.storage='{shared_storage}'",
    )
    workers = [
        subprocess.Popen(command, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        for _ in range(4)
    ]
    pids = {worker.pid for worker in workers}
    deadline, victim = time.monotonic() + 300, None
    while victim is None:  # a trial in its second epoch: its first checkpoint is written
        assert time.monotonic() < deadline, "no trial got to its second epoch"
        for trial in trials_of(shared_storage):
            run_dir = Path(trial.user_attrs.get("run_dir", "/nowhere"))
            if trial.state == TrialState.RUNNING and list(run_dir.glob("checkpoints/epoch=*")):
                victim = trial
                break
        time.sleep(0.05)
    killed = victim.user_attrs["worker"]["pid"]
    assert killed in pids
    os.kill(killed, signal.SIGKILL)
    for worker in workers:
        _, errors = worker.communicate(timeout=600)
        assert worker.returncode == (-signal.SIGKILL if worker.pid == killed else 0), errors[-3000:]
    assert load(shared_storage).trials[victim.number].state == TrialState.RUNNING

    again = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stderr[-3000:]
    assert f"Trial {victim.number} was interrupted earlier" in again.stderr + again.stdout

    trials = load(shared_storage).trials
    by_state = {state: [t for t in trials if t.state == state] for state in TrialState}
    assert by_state[TrialState.FAIL] == [trials[victim.number]]
    assert "interrupted" in trials[victim.number].user_attrs["fail_reason"]
    assert not by_state[TrialState.RUNNING] and not by_state[TrialState.WAITING]
    finished = by_state[TrialState.COMPLETE] + by_state[TrialState.PRUNED]
    # workers that ask for the last trials at the same moment may each run one: up to 3 more
    assert 6 <= len(finished) <= 9
    run_dirs = [t.user_attrs["run_dir"] for t in trials]
    assert len(set(run_dirs)) == len(trials) == len({t.number for t in trials})  # none twice
    for trial in finished:  # none lost: each finished trial is a run folder that trained
        assert (Path(trial.user_attrs["run_dir"]) / "history.csv").is_file()
    assert len({t.user_attrs["worker"]["pid"] for t in trials} & pids) >= 3


def test_a_launchers_parallel_jobs_report_to_a_journal(tmp_path: Path) -> None:
    journal = tmp_path / "shared" / "study.log"
    command = search_command(
        tmp_path / "out",
        "hydra/launcher=local_parallel",
        "hydra.sweeper.n_jobs=4",
        "hydra.sweeper.n_trials=4",
        f"hydra.sweeper.storage='journal:{journal}'",
    )
    result = subprocess.run(
        command,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    trials = load(f"journal:{journal}").trials
    assert [t.state for t in trials] == [TrialState.COMPLETE] * 4
    assert all(t.intermediate_values for t in trials)  # each job reported its epochs there
    assert f"optuna-dashboard {journal}" in result.stdout + result.stderr
