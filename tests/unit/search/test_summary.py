"""The end of a search: the retrain command and the trial table."""

from __future__ import annotations

from pathlib import Path

import optuna
from optuna.distributions import CategoricalDistribution, FloatDistribution

from colorization.search.space import SearchSpace
from colorization.search.summary import (
    best_trials,
    format_table,
    reseed_commands,
    retrain_command,
    trial_rows,
)


def test_the_retrain_command_replaces_the_search_budget_and_names_the_run() -> None:
    space = SearchSpace(groups={"optimizer"})
    command = retrain_command(
        ["hparams_search=colorization_optuna", "trainer.max_epochs=5", "model=nested_unet"],
        space,
        {"optimizer.lr": 0.0003, "optimizer": "sgd"},
        80,
        "my_study",
    )
    assert command == (
        "python -m colorization.train hparams_search=colorization_optuna model=nested_unet "
        "optimizer=sgd optimizer.lr=0.0003 trainer.max_epochs=80 run_name=my_study_best"
    )


def test_the_best_few_trials_are_retrained_over_seeds_and_compared() -> None:
    study = optuna.create_study(direction="maximize")
    space = {"optimizer.lr": FloatDistribution(1e-4, 1e-3), "loss": CategoricalDistribution(["l1"])}
    for value in (27.0, 28.5, 26.0, 28.0):
        study.tell(study.ask(space), value)
    best = best_trials(study, count=2)
    assert [t.value for t in best] == [28.5, 28.0]

    commands = reseed_commands(
        ["hparams_search=flare_optuna", "hydra.sweeper.n_trials=40", "model=unet"],
        SearchSpace(groups={"loss"}),
        best,
        "flare",
        5,
        Path("/out/searches/s"),
    )
    assert len(commands) == 4
    lr = best[0].params["optimizer.lr"]
    assert commands[0] == (
        f"python -m colorization.train -m model=unet task=flare loss=l1 optimizer.lr={lr} "
        "trainer.max_epochs=5 seed=0,1,2 hydra.sweep.dir=/out/searches/s/reseeded "
        "'hydra.sweep.subdir=trial_0001/seed${seed}'"
    )
    assert "trial_0003/seed" in commands[1]
    assert commands[2:] == [
        "python -m colorization.evaluate /out/searches/s/reseeded",
        "python -m colorization.report /out/searches/s/reseeded",
    ]


def test_the_trial_table_shows_states_values_and_reasons() -> None:
    study = optuna.create_study(direction="maximize")
    space = {"lr": FloatDistribution(1e-4, 1e-3), "loss": CategoricalDistribution(["l1", "mse"])}
    done = study.ask(space)
    study.tell(done, 27.5)
    failed = study.ask(space)
    failed.set_user_attr("fail_reason", "ValueError: bad")
    study.tell(failed, state=optuna.trial.TrialState.FAIL)
    pruned = study.ask(space)
    pruned.report(12.0, step=0)
    study.tell(pruned, state=optuna.trial.TrialState.PRUNED)

    rows = trial_rows(study)
    assert [r["state"] for r in rows] == ["complete", "fail", "pruned"]
    assert rows[2]["value"] == 12.0  # a pruned trial shows its last reported value
    table = format_table(rows)
    assert "ValueError: bad" in table and "params.loss" in table
