"""The sweeper's settings (``hydra.sweeper.*``), named as in Hydra's Optuna sweeper."""

# No `from __future__ import annotations`: Hydra loads plugin modules outside sys.modules,
# where dataclasses cannot resolve string annotations.

from dataclasses import dataclass, field
from typing import Any

from hydra.core.config_store import ConfigStore


@dataclass
class OptunaStudySweeperConf:
    _target_: str = "hydra_plugins.colorization_optuna.sweeper.OptunaStudySweeper"
    # The sweeper builds the sampler and pruner itself (it stores the pruner's config in the
    # study, for the trials).
    _recursive_: bool = False
    # Name of the study in the storage (null: the hparams_search option's name).
    study_name: str | None = None
    # Optuna RDB URL (null: sqlite:///<hydra.sweep.dir>/study.db). Workers sharing it share
    # the study.
    storage: str | None = None
    direction: str = "maximize"
    # Finished (complete or pruned) trials the study should have in all.
    n_trials: int = 20
    # Trials asked for at once and handed to the launcher together.
    n_jobs: int = 1
    # This many failed trials in a row stop the search (something is wrong with every trial).
    max_failures: int = 3
    # max_epochs of the printed command that retrains the best trial.
    retrain_max_epochs: int = 80
    sampler: Any = field(
        default_factory=lambda: {"_target_": "optuna.samplers.TPESampler", "seed": None}
    )
    pruner: Any = None
    params: Any = None


ConfigStore.instance().store(
    group="hydra/sweeper",
    name="colorization_optuna",
    node=OptunaStudySweeperConf,
    provider="colorization",
)
