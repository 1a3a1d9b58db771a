"""The end of a search: a table of every trial, the best, the command that retrains it, and the
commands that retrain the best few over several seeds and compare them.

Written next to the study (``trials.csv``, ``best.yaml``) and logged, so that a finished search
can be read without Optuna; ``optuna-dashboard <storage URL or journal file>`` shows the same
study live.
"""

from __future__ import annotations

import csv
import shlex
from pathlib import Path
from typing import Any

import optuna
import yaml
from optuna.trial import TrialState

from colorization.search.space import SearchSpace
from colorization.search.study import REASON_ATTR, RUN_DIR_ATTR, shown_storage
from colorization.writing import replacing, write_text


def trial_rows(study: optuna.Study) -> list[dict[str, Any]]:
    rows = []
    for trial in study.get_trials(deepcopy=False):
        duration = trial.duration.total_seconds() if trial.duration else None
        value = trial.value
        if value is None and trial.state == TrialState.PRUNED and trial.intermediate_values:
            value = trial.intermediate_values[max(trial.intermediate_values)]
        rows.append(
            {
                "trial": trial.number,
                "state": trial.state.name.lower(),
                "value": value,
                "epochs": len(trial.intermediate_values),
                "duration_s": None if duration is None else round(duration, 1),
                **{f"params.{key}": v for key, v in trial.params.items()},
                "reason": trial.user_attrs.get(REASON_ATTR, ""),
                "run_dir": trial.user_attrs.get(RUN_DIR_ATTR, ""),
            }
        )
    return rows


def format_table(rows: list[dict[str, Any]]) -> str:
    """A plain-text table (fixed columns, values shortened) for the log."""
    if not rows:
        return "(no trials)"
    columns = [c for c in rows[0] if c not in ("run_dir",)]
    for row in rows[1:]:
        columns += [c for c in row if c not in columns and c != "run_dir"]

    def cell(value: Any) -> str:
        if isinstance(value, float):
            return f"{value:.4g}"
        text = "" if value is None else str(value)
        return text if len(text) <= 60 else text[:57] + "..."

    cells = [[cell(row.get(c)) for c in columns] for row in rows]
    widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(columns)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True))]
    lines += ["  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)) for r in cells]
    return "\n".join(line.rstrip() for line in lines)


def override_key(override: str) -> str:
    return override.split("=", 1)[0].lstrip("+~")


def retrain_command(
    base_overrides: list[str], space: SearchSpace, params: dict[str, Any], epochs: int, name: str
) -> str:
    """``python -m colorization.train`` with the search's overrides, the best parameters and a
    longer budget, as a named run (so that it resumes after a crash)."""
    final = [*space.overrides(params), f"trainer.max_epochs={epochs}", f"run_name={name}_best"]
    replaced = {override_key(o) for o in final}
    overrides = [o for o in base_overrides if override_key(o) not in replaced] + final
    return "python -m colorization.train " + " ".join(shlex.quote(o) for o in overrides)


RESEED_TRIALS = 3
RESEED_SEEDS = (0, 1, 2)
# Command-line overrides that set up the search itself, not what a trial trains.
SEARCH_ONLY = ("hparams_search", "hydra.sweeper", "search.", "hydra.sweep.")


def best_trials(study: optuna.Study, count: int = RESEED_TRIALS) -> list[optuna.trial.FrozenTrial]:
    """The ``count`` best complete trials, best first."""
    complete = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    maximize = study.direction == optuna.study.StudyDirection.MAXIMIZE
    return sorted(complete, key=lambda t: t.value, reverse=maximize)[:count]


def reseed_commands(
    base_overrides: list[str],
    space: SearchSpace,
    trials: list[optuna.trial.FrozenTrial],
    task: str,
    epochs: int,
    folder: Path,
    seeds: tuple[int, ...] = RESEED_SEEDS,
) -> list[str]:
    """Commands that retrain each of ``trials`` with each of ``seeds`` at the search's budget
    (one multirun per trial, into ``<folder>/reseeded/trial_<n>/seed<s>``), then evaluate and
    report them together: a search's best trial is the maximum of noisy values, so its lead
    over the next ones may be luck; the report's paired tests say whether it holds."""
    out = folder / "reseeded"
    base = [o for o in base_overrides if not override_key(o).startswith(SEARCH_ONLY)]
    commands = []
    for trial in trials:
        final = [
            f"task={task}",
            *space.overrides(trial.params),
            f"trainer.max_epochs={epochs}",
            f"seed={','.join(map(str, seeds))}",
            f"hydra.sweep.dir={out}",
            f"hydra.sweep.subdir=trial_{trial.number:04d}/seed${{seed}}",
        ]
        replaced = {override_key(o) for o in final}
        overrides = [o for o in base if override_key(o) not in replaced] + final
        commands.append(
            "python -m colorization.train -m " + " ".join(shlex.quote(o) for o in overrides)
        )
    if commands:
        commands += [
            f"python -m colorization.{verb} {shlex.quote(str(out))}"
            for verb in ("evaluate", "report")
        ]
    return commands


def write_summary(
    study: optuna.Study,
    folder: Path,
    command: str | None,
    storage_url: str,
    reseed: list[str] | None = None,
) -> dict[str, Any]:
    """``trials.csv`` and ``best.yaml`` in ``folder``; returns what best.yaml holds."""
    rows = trial_rows(study)
    columns: list[str] = []
    for row in rows:
        columns += [c for c in row if c not in columns]
    with replacing(folder / "trials.csv", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
    best: dict[str, Any] = {"study": study.study_name, "storage": shown_storage(storage_url)}
    complete = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    if complete:
        trial = study.best_trial
        best.update(
            trial=trial.number,
            value=float(trial.value),
            params=dict(trial.params),
            run_dir=trial.user_attrs.get(RUN_DIR_ATTR, ""),
            retrain=command,
            reseed=reseed or [],
        )
    write_text(folder / "best.yaml", yaml.safe_dump(best, sort_keys=False))
    return best
