"""The sweep loop: ask the study for trials, launch them as Hydra jobs, record each outcome.

Each trial is a normal run in ``<hydra.sweep.dir>/trial_<number>`` (the Optuna trial number:
Hydra's job numbers restart at 0 on every launch). A job that raises ``optuna.TrialPruned`` is
recorded as pruned; any other error as failed, with its reason (the traceback goes to the trial's
``failure.txt``), and the search goes on.
"""

from __future__ import annotations

import logging
import math
import traceback
from pathlib import Path
from typing import Any

from hydra.core.utils import JobReturn
from hydra.plugins.sweeper import Sweeper
from hydra.types import HydraContext, TaskFunction
from omegaconf import DictConfig, OmegaConf

log = logging.getLogger(__name__)


class OptunaStudySweeper(Sweeper):
    def __init__(
        self,
        study_name: str | None,
        storage: str | None,
        direction: str,
        n_trials: int,
        n_jobs: int,
        max_failures: int,
        retrain_max_epochs: int,
        sampler: Any,
        pruner: Any,
        params: Any,
    ) -> None:
        self.settings = {
            "study_name": study_name,
            "storage": storage,
            "direction": direction,
            "n_trials": n_trials,
            "n_jobs": n_jobs,
            "max_failures": max_failures,
            "retrain_max_epochs": retrain_max_epochs,
        }
        self.sampler_config = sampler
        self.pruner_config = pruner
        self.params = params
        self.job_index = 0

    def setup(
        self, *, hydra_context: HydraContext, task_function: TaskFunction, config: DictConfig
    ) -> None:
        from hydra.core.plugins import Plugins

        self.hydra_context = hydra_context
        self.config = config
        self.launcher = Plugins.instance().instantiate_launcher(
            hydra_context=hydra_context, task_function=task_function, config=config
        )

    def sweep(self, arguments: list[str]) -> Any:
        try:
            return self._sweep(arguments)
        except Exception as error:
            from colorization.errors import user_error

            problem = user_error(error)
            if problem is None:
                raise
            log.error(str(problem))
            raise SystemExit(2) from None

    def _sweep(self, arguments: list[str]) -> Any:
        from hydra.utils import instantiate

        from colorization.errors import UserError
        from colorization.search import study as studies
        from colorization.search.space import parse_space
        from colorization.search.summary import write_summary

        s = self.settings
        if s["n_trials"] < 1 or s["n_jobs"] < 1 or s["max_failures"] < 1:
            raise UserError("hydra.sweeper.n_trials, n_jobs and max_failures must be >= 1.")
        choices = OmegaConf.select(self.config, "hydra.runtime.choices", default={}) or {}
        name = s["study_name"] or choices.get("hparams_search") or "study"
        folder = Path(self.config.hydra.sweep.dir).absolute()
        launcher = str(OmegaConf.select(self.config, "hydra.launcher._target_", default=""))
        given = s["storage"] and studies.absolute_storage(s["storage"])
        url = given or studies.default_storage(folder, launcher)
        kept = [folder / studies.SQLITE_FILE, folder / studies.JOURNAL_FILE]
        if s["storage"] is None and not any(path.exists() for path in kept):
            leftovers = sorted(p.name for p in folder.glob("trial_*"))
            if leftovers:
                raise UserError(
                    f"{folder} holds trial folders ({leftovers[0]}, ...) but no study.db or "
                    "study.log: they belong to a study that was deleted. Move them away or give "
                    "another hydra.sweeper.study_name."
                )
        space, base = parse_space(self.params, arguments, self.config, self._group_options)
        folder.mkdir(parents=True, exist_ok=True)
        pruner_config = (
            OmegaConf.to_container(self.pruner_config, resolve=True)
            if isinstance(self.pruner_config, DictConfig)
            else self.pruner_config
        )
        study = studies.open_study(
            name,
            url,
            s["direction"],
            instantiate(pruner_config) if pruner_config else None,
            pruner_config,
        )
        for number in studies.fail_interrupted_trials(study):
            log.warning("Trial %d was interrupted earlier; recorded as failed.", number)
        log.info(
            "Study %r (%s): %d of %d trials finished; optuna-dashboard %s shows it live.",
            name,
            studies.shown_storage(url),
            studies.finished_count(study),
            s["n_trials"],
            studies.dashboard_target(url),
        )
        failures_in_a_row = 0
        while (budget := studies.unused_budget(study, s["n_trials"])) > 0:
            trials = []
            for _ in range(min(s["n_jobs"], budget)):
                study.sampler = studies.seeded_sampler(self.sampler_config, study) or study.sampler
                trials.append(study.ask(space.distributions))
            batch, run_dirs = [], [folder / f"trial_{t.number:04d}" for t in trials]
            for trial, run_dir in zip(trials, run_dirs, strict=True):
                trial.set_user_attr(studies.WORKER_ATTR, studies.this_worker())
                trial.set_user_attr(studies.RUN_DIR_ATTR, str(run_dir))
                batch.append(
                    [
                        *base,
                        *space.overrides(trial.params),
                        f"search.storage='{url}'",
                        f"search.study_name='{name}'",
                        f"search.trial={trial.number}",
                        f"hydra.sweep.subdir={run_dir.name}",
                    ]
                )
            try:
                results = self.launcher.launch(batch, initial_job_idx=self.job_index)
            except BaseException:  # Ctrl-C, SIGTERM: these trials did not finish
                for trial in trials:
                    studies.record_failure(study, trial, "interrupted (the search was stopped)")
                raise
            self.job_index += len(batch)
            for trial, result, run_dir in zip(trials, results, run_dirs, strict=True):
                failed = self._record(study, trial, result, run_dir)
                failures_in_a_row = failures_in_a_row + 1 if failed else 0
            if failures_in_a_row >= s["max_failures"]:
                write_summary(study, folder, None, url)
                raise UserError(
                    f"{failures_in_a_row} trials failed in a row (see {folder}/trials.csv and "
                    "each trial's failure.txt); the search stopped. Fix the cause and run the "
                    "same command again: the study continues."
                )
        best = self._summarize(study, folder, url, space, base, name)
        return best

    def _group_options(self, group: str) -> list[str]:
        return sorted(self.hydra_context.config_loader.get_group_options(group))

    def _record(self, study: Any, trial: Any, result: JobReturn, run_dir: Path) -> bool:
        """Tell the study how ``trial`` ended; True if it failed."""
        import optuna

        from colorization.search.study import record_failure

        try:
            value = result.return_value  # re-raises the job's error
        except optuna.TrialPruned as pruned:
            study.tell(trial, state=optuna.trial.TrialState.PRUNED)
            log.info("Trial %d %s", trial.number, pruned)
            return False
        except Exception as error:
            reason = f"{type(error).__name__}: {error}".splitlines()[0]
            record_failure(study, trial, reason)
            run_dir.mkdir(parents=True, exist_ok=True)
            lines = traceback.format_exception(type(error), error, error.__traceback__)
            (run_dir / "failure.txt").write_text("".join(lines))
            log.warning("Trial %d failed: %s (traceback: %s)", trial.number, reason, run_dir)
            return True
        if value is None or not math.isfinite(float(value)):
            reason = f"the run ended without a finite {self.config.get('optimized_metric')}"
            record_failure(study, trial, reason)
            log.warning("Trial %d failed: %s.", trial.number, reason)
            return True
        study.tell(trial, float(value))
        log.info("Trial %d: %.4f %s", trial.number, value, trial.params)
        return False

    def _summarize(
        self, study: Any, folder: Path, url: str, space: Any, base: list[str], name: str
    ) -> dict[str, Any]:
        from colorization.search.study import dashboard_target
        from colorization.search.summary import (
            RESEED_SEEDS,
            best_trials,
            format_table,
            reseed_commands,
            retrain_command,
            trial_rows,
            write_summary,
        )

        command, reseed = None, []
        complete = [t for t in study.get_trials(deepcopy=False) if t.state.name == "COMPLETE"]
        if complete:
            command = retrain_command(
                base, space, study.best_trial.params, self.settings["retrain_max_epochs"], name
            )
            choices = OmegaConf.select(self.config, "hydra.runtime.choices", default={}) or {}
            reseed = reseed_commands(
                base,
                space,
                best_trials(study),
                choices.get("task", "colorization"),
                int(OmegaConf.select(self.config, "trainer.max_epochs")),
                folder,
            )
        best = write_summary(study, folder, command, url, reseed)
        log.info("Trials of study %r:\n%s", name, format_table(trial_rows(study)))
        if command is None:
            log.warning("No trial completed; nothing to retrain (see %s/trials.csv).", folder)
        else:
            log.info(
                "Best: trial %d, %s = %.4f, %s\nRetrain it for longer:\n  %s",
                best["trial"],
                self.config.get("optimized_metric"),
                best["value"],
                best["params"],
                command,
            )
            log.info(
                "The best of %d trials is a noisy maximum: is its lead real? Retrain the best %d "
                "with seeds %s and compare them (paired tests on the same images):\n  %s",
                len(complete),
                len(reseed) - 2,
                ", ".join(map(str, RESEED_SEEDS)),
                "\n  ".join(reseed),
            )
        log.info(
            "Wrote %s and %s. Dashboard: optuna-dashboard %s",
            folder / "trials.csv",
            folder / "best.yaml",
            dashboard_target(url),
        )
        return best
