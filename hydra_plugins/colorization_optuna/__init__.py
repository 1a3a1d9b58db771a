"""Hydra sweeper ``hydra/sweeper=colorization_optuna``: an Optuna study that survives crashes.

Hydra finds it in the ``hydra_plugins`` namespace package. The study logic is in
:mod:`colorization.search`; this package is the Hydra side: the sweep loop (its settings are
``conf/hydra/sweeper/colorization_optuna.yaml``).
"""
