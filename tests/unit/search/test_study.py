"""The study: workers that start together all open it; interrupted trials are recognised."""

from __future__ import annotations

import hashlib
import multiprocessing
from collections.abc import Callable
from pathlib import Path

import optuna
import pytest

from colorization.errors import UserError
from colorization.search.study import (
    WORKER_ATTR,
    absolute_storage,
    dashboard_target,
    default_storage,
    fail_interrupted_trials,
    open_study,
    seeded_sampler,
    shown_storage,
    sqlite_url,
    storage,
    this_worker,
    unused_budget,
)

STORAGES = ["sqlite", "journal", "postgresql"]


@pytest.fixture
def storage_url(request, tmp_path: Path) -> Callable[[str], str]:
    """kind -> (name -> a storage URL of that kind): SQLite and journal files in ``tmp_path``,
    or a database of the session's PostgreSQL server (one per test: its own schema-free
    database, named after the test and ``name``)."""

    def make(name: str) -> str:
        if request.param == "sqlite":
            return sqlite_url(tmp_path / f"{name}.db")
        if request.param == "journal":
            return f"journal:{tmp_path / name}.log"
        server = request.getfixturevalue("postgres_url")
        database = "t_" + hashlib.sha1(f"{request.node.name}/{name}".encode()).hexdigest()[:16]
        import psycopg

        with psycopg.connect(server, autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{database}"')
        return server.rsplit("/", 1)[0] + f"/{database}"

    return make


def _open(url: str) -> None:
    open_study("race", url, "maximize", None, None)


@pytest.mark.parametrize("storage_url", STORAGES, indirect=True)
def test_workers_that_start_together_all_open_the_study(storage_url) -> None:
    """Without retries, all but one of them lose the race to create the tables."""
    context = multiprocessing.get_context("fork")
    for attempt in range(3):
        url = storage_url(f"study{attempt}")
        workers = [context.Process(target=_open, args=(url,)) for _ in range(4)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(timeout=120)
        assert [w.exitcode for w in workers] == [0, 0, 0, 0]


@pytest.mark.parametrize("storage_url", STORAGES, indirect=True)
def test_a_trial_whose_worker_died_is_failed_and_frees_its_budget(storage_url) -> None:
    study = open_study("s", storage_url("s"), "maximize", None, None)
    mine = study.ask()
    mine.set_user_attr(WORKER_ATTR, this_worker())
    dead = study.ask()
    dead.set_user_attr(WORKER_ATTR, {**this_worker(), "pid": 2**22 + 17, "process_start": "1"})
    elsewhere = study.ask()
    elsewhere.set_user_attr(WORKER_ATTR, {**this_worker(), "host": "another-host"})
    assert unused_budget(study, 5) == 2

    assert fail_interrupted_trials(study) == [dead.number]

    states = {t.number: t.state for t in study.trials}
    assert states[dead.number] == optuna.trial.TrialState.FAIL
    assert states[mine.number] == states[elsewhere.number] == optuna.trial.TrialState.RUNNING
    assert "interrupted" in study.trials[dead.number].user_attrs["fail_reason"]
    assert unused_budget(study, 5) == 3  # a failed trial does not use the budget


def test_a_study_keeps_its_direction(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path / "s.db")
    open_study("s", url, "maximize", None, None)
    with pytest.raises(Exception, match="was created to maximize"):
        open_study("s", url, "minimize", None, None)


def test_a_seeded_sampler_draws_anew_for_each_trial(tmp_path: Path) -> None:
    study = optuna.create_study()
    config = {"_target_": "optuna.samplers.RandomSampler", "seed": 3}
    space = {"x": optuna.distributions.FloatDistribution(0, 1)}
    drawn = []
    for _ in range(3):
        study.sampler = seeded_sampler(config, study)
        trial = study.ask(space)
        drawn.append(trial.params["x"])
        study.tell(trial, 0.0)
    assert len(set(drawn)) == 3
    again = optuna.create_study()  # the same history gives the same draws
    for x in drawn:
        again.sampler = seeded_sampler(config, again)
        trial = again.ask(space)
        assert trial.params["x"] == x
        again.tell(trial, 0.0)


def test_the_storage_is_chosen_for_where_the_trials_run(tmp_path: Path) -> None:
    local = "hydra._internal.core_plugins.basic_launcher.BasicLauncher"
    parallel = "hydra_plugins.hydra_submitit_launcher.submitit_launcher.LocalLauncher"
    cluster = "hydra_plugins.hydra_submitit_launcher.submitit_launcher.SlurmLauncher"
    assert default_storage(tmp_path, local) == sqlite_url(tmp_path / "study.db")
    assert default_storage(tmp_path, parallel) == sqlite_url(tmp_path / "study.db")
    assert default_storage(tmp_path, cluster) == f"journal:{tmp_path / 'study.log'}"
    (tmp_path / "study.db").touch()  # a study keeps the storage it has
    assert default_storage(tmp_path, cluster) == sqlite_url(tmp_path / "study.db")
    (tmp_path / "study.db").unlink()
    (tmp_path / "study.log").touch()
    assert default_storage(tmp_path, local) == f"journal:{tmp_path / 'study.log'}"


def test_a_journal_is_named_by_its_prefix_or_its_suffix(tmp_path: Path) -> None:
    for url in (f"journal:{tmp_path / 'a' / 'j'}", str(tmp_path / "b" / "j.log")):
        study = open_study("s", url, "minimize", None, None)
        study.tell(study.ask(), 1.0)
        path = dashboard_target(url)
        assert Path(path).is_file() and Path(path).stat().st_size > 0
        assert len(open_study("s", url, "minimize", None, None).trials) == 1


def test_a_password_is_never_shown() -> None:
    url = "postgresql://alice:s3cret@db.lab:5432/studies"
    assert shown_storage(url) == "postgresql://alice:***@db.lab:5432/studies"
    assert dashboard_target(url) == shown_storage(url) and "s3cret" not in dashboard_target(url)
    assert shown_storage("journal:/shared/a@b/study.log") == "journal:/shared/a@b/study.log"


def test_a_storage_that_cannot_be_opened_is_one_line() -> None:
    with pytest.raises(UserError, match="names no storage: give sqlite:///<path>"):
        storage("studies/my_study")
    with pytest.raises(UserError, match=r"needs a database driver \(MySQLdb\)"):
        storage("mysql://alice@127.0.0.1/studies")
    with pytest.raises(
        UserError, match="Cannot open the study's storage postgresql://a:\\*\\*\\*@"
    ):
        storage("postgresql://a:pw@127.0.0.1:1/studies")  # nothing listens on port 1


def test_a_relative_file_is_the_same_file_for_every_trial(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert absolute_storage("journal:studies/s.log") == f"journal:{tmp_path}/studies/s.log"
    assert absolute_storage("studies/s.log") == f"journal:{tmp_path}/studies/s.log"
    assert absolute_storage("sqlite:///s.db") == f"sqlite:///{tmp_path}/s.db"
    for kept in ("sqlite:////abs/s.db", "postgresql://a@h/db", "sqlite:///:memory:"):
        assert absolute_storage(kept) == kept
