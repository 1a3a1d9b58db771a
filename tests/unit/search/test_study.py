"""The study: workers that start together all open it; interrupted trials are recognised."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import optuna
import pytest

from colorization.search.study import (
    WORKER_ATTR,
    fail_interrupted_trials,
    open_study,
    seeded_sampler,
    sqlite_url,
    this_worker,
    unused_budget,
)


def _open(url: str) -> None:
    open_study("race", url, "maximize", None, None)


def test_workers_that_start_together_all_open_the_study(tmp_path: Path) -> None:
    """Without retries, all but one of them lose the race to create the tables."""
    context = multiprocessing.get_context("fork")
    for attempt in range(3):
        url = sqlite_url(tmp_path / f"study{attempt}.db")
        workers = [context.Process(target=_open, args=(url,)) for _ in range(4)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(timeout=120)
        assert [w.exitcode for w in workers] == [0, 0, 0, 0]


def test_a_trial_whose_worker_died_is_failed_and_frees_its_budget(tmp_path: Path) -> None:
    study = open_study("s", sqlite_url(tmp_path / "s.db"), "maximize", None, None)
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
