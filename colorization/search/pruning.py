"""Reports a trial's monitored metric to its Optuna study every validation epoch, and stops the
trial when the study's pruner says so (``optuna.TrialPruned``, recorded as *pruned*).

It talks to the study through its storage only, so it works wherever the trial runs (in the
sweeper's process or a launcher's worker). In a multi-process (DDP) run, rank 0 reports and its
decision is broadcast to the other ranks.
"""

from __future__ import annotations

from typing import Any

import optuna
import pytorch_lightning as pl
from hydra.utils import instantiate
from omegaconf import DictConfig

from colorization.search.study import PRUNER_ATTR, storage


class OptunaPruning(pl.Callback):
    def __init__(self, storage_url: str, study_name: str, trial_number: int, monitor: str) -> None:
        self.storage_url = storage_url
        self.study_name = study_name
        self.trial_number = trial_number
        self.monitor = monitor
        self._trial: optuna.Trial | None = None

    def trial(self) -> optuna.Trial:
        if self._trial is None:
            study = optuna.load_study(study_name=self.study_name, storage=storage(self.storage_url))
            pruner_config = study.user_attrs.get(PRUNER_ATTR)
            if pruner_config:
                study.pruner = instantiate(pruner_config)
            else:
                study.pruner = optuna.pruners.NopPruner()
            frozen = next(
                t for t in study.get_trials(deepcopy=False) if t.number == self.trial_number
            )
            self._trial = optuna.Trial(study, frozen._trial_id)
        return self._trial

    def on_validation_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if trainer.sanity_checking:
            return
        value = trainer.callback_metrics.get(self.monitor)
        prune = False
        if trainer.is_global_zero and value is not None:
            trial, epoch = self.trial(), trainer.current_epoch
            trial.report(float(value), step=epoch)
            prune = trial.should_prune()
        prune = trainer.strategy.broadcast(prune, src=0)
        if prune:
            raise optuna.TrialPruned(
                f"pruned after epoch {trainer.current_epoch}: {self.monitor}={float(value):.4f}"
            )


def search_callbacks(cfg: DictConfig) -> list[Any]:
    """The pruning callback when ``cfg`` is a trial of a search (``search.*`` set by the
    sweeper), else nothing."""
    search = cfg.get("search") or {}
    if search.get("trial") is None:
        return []
    return [
        OptunaPruning(
            search.storage, search.study_name, int(search.trial), str(cfg.optimized_metric)
        )
    ]
