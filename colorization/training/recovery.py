"""Going back to the last good checkpoint when the loss stays bad (the loss guard's ``reload``)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytorch_lightning as pl

from colorization.callbacks.checkpoint import newest_checkpoint
from colorization.training.guard import PERSISTENT_LOSS_HELP

log = logging.getLogger(__name__)


def reload_last_good_checkpoint(module: pl.LightningModule, lr_factor: float) -> None:
    """Restore weights and optimizer states from the newest checkpoint of the run ``module``
    trains in, and scale every learning rate (and every scheduler's base rates) by
    ``lr_factor``; stop with a clear message if there is no checkpoint yet."""
    trainer = module.trainer
    folders = {c.dirpath for c in trainer.checkpoint_callbacks if c.dirpath}
    found = [newest_checkpoint(Path(folder).glob("*.ckpt")) for folder in folders]
    found = [(path, state) for path, state in found if path is not None]
    if not found:
        raise RuntimeError(
            "Training stopped: the loss stayed bad and no checkpoint exists yet to go back "
            f"to. {PERSISTENT_LOSS_HELP}"
        )
    path, state = max(found, key=lambda item: item[1]["global_step"])
    module.load_state_dict(state["state_dict"])
    optimizers = [wrapper.optimizer for wrapper in module.optimizer_wrappers()]
    for optimizer, optimizer_state in zip(optimizers, state["optimizer_states"], strict=True):
        optimizer.load_state_dict(optimizer_state)
        for group in optimizer.param_groups:
            group["lr"] *= lr_factor
    for scheduler in module.scheduler_list():
        if hasattr(scheduler, "base_lrs"):
            scheduler.base_lrs = [lr * lr_factor for lr in scheduler.base_lrs]
    log.warning(
        "Reloaded %s after persistent bad losses; learning rate x%g, now %g.",
        path,
        lr_factor,
        optimizers[0].param_groups[0]["lr"],
    )
