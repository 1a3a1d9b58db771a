"""ModelCheckpoint that never leaves a broken or non-finite checkpoint behind."""

from __future__ import annotations

import logging
import os
import warnings
from weakref import proxy

import pytorch_lightning as pl
import torch
from pytorch_lightning.callbacks import ModelCheckpoint

log = logging.getLogger(__name__)
PARTIAL_SUFFIX = ".partial"

# Lightning warns that step checkpoints under manual optimisation hold the state after the
# optimizer step. That is the consistent state (it matches the saved global step and optimizer
# state), which is what resuming needs.
warnings.filterwarnings(
    "ignore", message="Using ModelCheckpoint with manual optimization and every_n_train_steps"
)


def weights_are_finite(module: torch.nn.Module) -> bool:
    return all(
        bool(torch.isfinite(tensor).all())
        for tensor in module.state_dict().values()
        if tensor.is_floating_point()
    )


class SafeModelCheckpoint(ModelCheckpoint):
    """Lightning's ModelCheckpoint, with two guarantees:

    - atomic files: the checkpoint is written to ``<name>.partial`` and renamed over the target,
      so a crash or ``kill -9`` during a save never leaves a truncated ``last.ckpt``;
    - no NaN: a model with non-finite weights is not saved (a warning says so), so the newest
      checkpoint is always one worth resuming from.
    """

    def _save_checkpoint(self, trainer: pl.Trainer, filepath: str) -> None:
        if not weights_are_finite(trainer.lightning_module):
            log.warning("Not saving %s: the model weights contain NaN or inf.", filepath)
            return
        partial = filepath + PARTIAL_SUFFIX
        trainer.save_checkpoint(partial, self.save_weights_only)
        if trainer.is_global_zero:
            os.replace(partial, filepath)
        self._last_global_step_saved = trainer.global_step
        self._last_checkpoint_saved = filepath
        if trainer.is_global_zero:
            for logger in trainer.loggers:
                logger.after_save_checkpoint(proxy(self))
