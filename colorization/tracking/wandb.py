"""``logger=wandb``: Lightning's Weights & Biases logger, offline unless W&B is configured.

Nothing reaches the network unless the user has set W&B up: ``WANDB_MODE`` (respected as it is),
or an API key (``WANDB_API_KEY``, or ``wandb login``'s entry in ``~/.netrc``). Offline runs are
written under the run folder (``<run>/wandb/offline-run-*``) for ``wandb sync`` later. The same
content as ``logger=mlflow`` (:mod:`.runs`): the run named after its folder in a project named
after the task, tags, previews, the best checkpoint (its path in the run's summary; with
``log_model``, the file as an artifact, also offline), and a resumed run continuing the same
W&B run id.
"""

from __future__ import annotations

import logging
import netrc
import os
import re
from collections.abc import Sequence
from pathlib import Path

import torch
from pytorch_lightning.callbacks import ModelCheckpoint
from pytorch_lightning.loggers import WandbLogger
from pytorch_lightning.utilities import rank_zero_only

from colorization.lightning_compat import (
    continue_wandb_run,
    forget_wandb_run,
    name_wandb_run,
    wandb_run,
)
from colorization.tracking.runs import TrackerRun, require

WANDB_HOST = "api.wandb.ai"
# What a W&B run id may be: W&B refuses / \\ # ? % : and ids over 64 characters.
WANDB_ID = re.compile(r"[A-Za-z0-9_.-]{1,64}")
log = logging.getLogger(__name__)


def wandb_configured() -> bool:
    """Whether the user has told W&B how to run: ``WANDB_MODE``, or an API key."""
    if os.environ.get("WANDB_MODE") or os.environ.get("WANDB_API_KEY"):
        return True
    try:
        return netrc.netrc().authenticators(WANDB_HOST) is not None
    except (OSError, netrc.NetrcParseError):
        return False


class WandbRun(TrackerRun, WandbLogger):
    """Args:
    save_dir: the folder W&B writes under (its ``wandb/`` folder; the run folder by default).
    project: the W&B project (``None``: the task's name).
    log_model: attach the best checkpoint to the run at the end of training.
    """

    tracker = "wandb"

    def __init__(self, save_dir: str, project: str | None = None, log_model: bool = False) -> None:
        require("wandb", "wandb", "wandb")
        Path(save_dir).mkdir(parents=True, exist_ok=True)
        super().__init__(save_dir=save_dir, project=project, offline=not wandb_configured())
        self.store = f"W&B ({'online' if wandb_configured() else 'offline'}, {save_dir})"
        self.attach_best = log_model
        self.named_project = project is not None

    def describe(self, experiment: str, run_name: str, tags: dict[str, str]) -> None:
        labels = [f"{key}:{value}"[:64] for key, value in tags.items()]
        name_wandb_run(self, run_name, labels, None if self.named_project else experiment)

    def continue_run(self, tracker_id: str) -> None:
        """Continue ``tracker_id``; an id W&B would refuse (a damaged trackers.json) starts a
        new W&B run instead, with a warning."""
        if not WANDB_ID.fullmatch(tracker_id):
            log.warning(
                "trackers.json: %r is no W&B run id: a new W&B run is started.", tracker_id[:80]
            )
            return
        continue_wandb_run(self, tracker_id)

    def tracker_id(self) -> str | None:
        return self.experiment.id

    def record_best_checkpoint(self, path: str) -> None:
        self.experiment.summary["best_checkpoint"] = path
        if self.attach_best:
            import wandb

            artifact = wandb.Artifact(f"model-{self.experiment.id}", type="model")
            artifact.add_file(path)
            self.experiment.log_artifact(artifact, aliases=["best"])

    @rank_zero_only
    def log_image(
        self, key: str, images: Sequence[torch.Tensor], step: int | None = None, **kwargs: object
    ) -> None:
        images = [image.detach().float().cpu() for image in images]
        self.guarded("log images", super().log_image, key=key, images=images, step=step)

    def after_save_checkpoint(self, checkpoint_callback: ModelCheckpoint) -> None:
        self.remember_monitored(checkpoint_callback)

    @rank_zero_only
    def finalize(self, status: str) -> None:
        """The best checkpoint, then the run finished (its files complete on disk)."""
        run = wandb_run(self)
        if run is None:
            return
        if status == "success":
            self.guarded("record the best checkpoint", self.record_best)
        self.guarded("end its run", run.finish, exit_code=int(status != "success"))
        forget_wandb_run(self)
