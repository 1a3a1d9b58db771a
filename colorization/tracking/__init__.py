"""Experiment trackers beside TensorBoard: MLflow on a local database (:mod:`.mlflow`) and
Weights & Biases, offline unless configured (:mod:`.wandb`), on what they share
(:mod:`.runs`: naming, tags, the tracker run a resumed run continues, the best checkpoint).

Both are Lightning's loggers, chosen like TensorBoard (``logger=mlflow``, ``logger=wandb``,
``logger=[tensorboard,mlflow]``); their packages are optional extras, imported only when chosen.
"""
