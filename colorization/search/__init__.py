"""Hyperparameter search on Optuna, as a Hydra sweeper (``-m hparams_search=<space>``).

The sweeper plugin (``hydra_plugins/colorization_optuna``) is thin: it turns the space into
Optuna distributions (:mod:`.space`), keeps the study (:mod:`.study`), launches one Hydra job per
trial and records the outcome; a Lightning callback in each trial reports the monitored metric
every epoch so that the study's pruner can stop it (:mod:`.pruning`); the end of a sweep prints
and writes the trials, the command that retrains the best, and those that retrain the best few
over several seeds and compare them (:mod:`.summary`).
"""
