"""The Optuna search end to end: a study survives kill -9, prunes and records failures (four
workers sharing a study on every storage: tests/e2e/test_search_storages.py). Each test launches
``python -m colorization.train -m`` as a user would; the kill is marked slow (``pytest -m
slow``, run by CI)."""

from __future__ import annotations

import csv
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import optuna
import pytest
import yaml
from helpers import search_command
from optuna.trial import TrialState


def study_folder(log_dir: Path, name: str = "colorization_optuna") -> Path:
    return log_dir / "colorization" / "searches" / name


def load(folder: Path, name: str = "colorization_optuna") -> optuna.Study:
    return optuna.load_study(study_name=name, storage=f"sqlite:///{folder / 'study.db'}")


def states(study: optuna.Study) -> list[str]:
    return [t.state.name for t in sorted(study.trials, key=lambda t: t.number)]


def run(command: list[str], cwd: Path, timeout: int = 600) -> subprocess.CompletedProcess:
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, result.stderr[-3000:]
    return result


def finished(study) -> int:
    return sum(state in ("COMPLETE", "PRUNED") for state in states(study))


@pytest.mark.slow
def test_a_killed_search_continues_where_it_stopped(tmp_path: Path) -> None:
    command = search_command(tmp_path / "out", "hydra.sweeper.n_trials=3", "trainer.max_epochs=3")
    folder = study_folder(tmp_path / "out")
    process = subprocess.Popen(
        command, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 300
    while not (folder / "trial_0001").exists():  # trial 0 is done, trial 1 has started
        assert process.poll() is None and time.monotonic() < deadline, "search ended early"
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert states(load(folder))[:2] == ["COMPLETE", "RUNNING"]

    result = run(command, tmp_path)  # the same command, again

    study = load(folder)
    assert finished(study) == 3  # n_trials counts finished trials (complete or pruned)
    interrupted = study.trials[1]
    assert interrupted.state == TrialState.FAIL
    assert "interrupted" in interrupted.user_attrs["fail_reason"]
    assert "Trial 1 was interrupted earlier" in result.stderr + result.stdout
    # the seeded sampler does not draw again what it drew before the kill
    drawn = [tuple(sorted(t.params.items())) for t in study.trials]
    assert len(set(drawn)) == len(drawn)
    assert sorted(p.name for p in folder.glob("trial_*")) == [f"trial_{i:04d}" for i in range(4)]
    # each trial is a normal run folder; the summary names the best and how to retrain it
    assert list((folder / "trial_0003" / "checkpoints").glob("epoch=*.ckpt"))
    best = (folder / "best.yaml").read_text()
    assert "python -m colorization.train hparams_search=colorization_optuna" in best
    assert "trainer.max_epochs=80" in best and "run_name=colorization_optuna_best" in best
    assert (folder / "trials.csv").read_text().count("\n") == 5  # header + 4 trials

    # a larger n_trials extends the finished study; the same n_trials runs nothing more
    run([*command, "hydra.sweeper.n_trials=4"], tmp_path)
    assert finished(load(folder)) == 4


PRUNE_AND_FAIL = """\
# @package _global_
# A user's own space (found through hydra.searchpath): a learning rate the optimizer refuses,
# and a pruner that prunes every trial after its first epoch. A random sampler seeded 10 (the
# sweeper offsets the seed by the trials so far) draws -1, -1, 0.001, -1, 0.001; seeded 28, -1
# three times.
defaults:
  - override /hydra/sweeper: colorization_optuna
hydra:
  sweep:
    dir: ${paths.log_dir}/${hydra:runtime.choices.task}/searches/${hydra.sweeper.study_name}
  sweeper:
    study_name: colorization_optuna
    n_trials: 2
    sampler: {_target_: optuna.samplers.RandomSampler, seed: 10}
    pruner: {_target_: optuna.pruners.ThresholdPruner, lower: 1000}
    params:
      optimizer.lr: choice(-1.0, 0.001)
"""


def prune_and_fail_command(tmp_path: Path, *overrides: str) -> list[str]:
    space = tmp_path / "my_conf" / "hparams_search" / "prune_and_fail.yaml"
    space.parent.mkdir(parents=True, exist_ok=True)
    space.write_text(PRUNE_AND_FAIL)
    command = search_command(tmp_path / "out", f"hydra.searchpath=[file://{space.parents[1]}]")
    command[command.index("hparams_search=colorization_optuna")] = "hparams_search=prune_and_fail"
    return [*command, *overrides]


def test_pruned_and_failed_trials_are_recorded_and_the_search_goes_on(tmp_path: Path) -> None:
    # with loader workers: a pruned trial must stop them, or the search never exits
    run(prune_and_fail_command(tmp_path, "data.num_workers=2"), tmp_path, timeout=300)
    study = load(study_folder(tmp_path / "out"))
    assert states(study) == ["FAIL", "FAIL", "PRUNED", "FAIL", "PRUNED"]
    for trial in study.trials:
        if trial.state == TrialState.FAIL:
            assert trial.params["optimizer.lr"] == -1.0
            assert "optimizer.lr=-1.0" in trial.user_attrs["fail_reason"]
            assert (Path(trial.user_attrs["run_dir"]) / "failure.txt").is_file()
        else:
            assert list(trial.intermediate_values) == [0]  # reported epoch 0, pruned there
    assert "pruned" in (study_folder(tmp_path / "out") / "trials.csv").read_text()


@pytest.mark.slow
def test_failures_in_a_row_stop_the_search_with_a_message(tmp_path: Path) -> None:
    command = prune_and_fail_command(tmp_path, "hydra.sweeper.sampler.seed=28")
    result = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert result.returncode == 2
    assert "3 trials failed in a row" in result.stderr + result.stdout
    assert states(load(study_folder(tmp_path / "out"))) == ["FAIL"] * 3


# Every kind of bad space is in tests/unit/search/test_space.py; here, the command's answer.
@pytest.mark.parametrize(
    ("params", "message"),
    [("optimizer: choice(adam, sgdd)", "sgdd is not an option of config group optimizer")],
)
def test_a_bad_space_stops_before_any_trial(tmp_path: Path, params: str, message: str) -> None:
    command = prune_and_fail_command(tmp_path)
    space = tmp_path / "my_conf" / "hparams_search" / "prune_and_fail.yaml"
    space.write_text(PRUNE_AND_FAIL.replace("optimizer.lr: choice(-1.0, 0.001)", params))
    result = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert result.returncode == 2
    assert message in result.stderr + result.stdout
    assert "Traceback" not in result.stderr
    assert not list(study_folder(tmp_path / "out").glob("trial_*"))


@pytest.mark.slow
def test_the_best_trials_retrained_over_seeds_are_compared(tmp_path: Path) -> None:
    """The commands a search ends with: its best trials, each over three seeds, evaluated and
    reported as configurations with intervals and paired tests."""
    run(search_command(tmp_path / "out", "hydra.sweeper.n_trials=2"), tmp_path)
    folder = study_folder(tmp_path / "out")
    best = yaml.safe_load((folder / "best.yaml").read_text())
    assert len(best["reseed"]) == 4 and all("seed=0,1,2" in c for c in best["reseed"][:2])
    for command in best["reseed"]:
        run(shlex.split(command.replace("python", sys.executable, 1)), tmp_path)
    reseeded = folder / "reseeded"
    assert sorted(p.relative_to(reseeded).as_posix() for p in reseeded.glob("trial_*/seed*")) == [
        f"trial_{t:04d}/seed{s}" for t in (0, 1) for s in (0, 1, 2)
    ]
    rows = list(csv.DictReader((reseeded / "report" / "leaderboard.csv").open()))
    assert [row["seeds"] for row in rows] == ["3", "3"]
    (comparison,) = [
        r
        for r in csv.DictReader((reseeded / "report" / "comparisons.csv").open())
        if r["protocol"] == "run_hints"
    ]
    assert comparison["verdict"] in ("better", "worse", "tie") and comparison["seeds_a"] == "3"
