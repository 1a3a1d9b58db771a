"""``logger=mlflow``: Lightning's MLflow logger on a real local store.

By default runs go to a SQLite database and artifacts to a folder, both under ``paths.log_dir``
(``sqlite:///outputs/mlflow.db``, ``outputs/mlartifacts``), what ``mlflow ui --backend-store-uri
sqlite:///outputs/mlflow.db`` serves; ``tracking_uri`` points it at a server instead. On top of
Lightning's metrics and parameters: the validation previews as images (with their step), the run
named and tagged (:mod:`.runs`), a resumed run continuing its MLflow run, and at the end the best
checkpoint's path as a tag (``best_checkpoint``) and, with ``log_model``, the file itself.
"""

from __future__ import annotations

import logging
import os
import urllib.error
import urllib.request
from argparse import Namespace
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
from pytorch_lightning.callbacks import ModelCheckpoint
from pytorch_lightning.loggers import MLFlowLogger
from pytorch_lightning.utilities import rank_zero_only

from colorization.errors import UserError
from colorization.lightning_compat import (
    continue_mlflow_run,
    flat_parameters,
    mlflow_client,
    mlflow_run_started,
    name_mlflow_run,
)
from colorization.sqlite_urls import absolute_sqlite_url
from colorization.tracking.runs import TrackerRun, require, unusable_store

log = logging.getLogger(__name__)

PARAM_LENGTH = 250  # Lightning's MLflow logger cuts parameter values there


def absolute_store(tracking_uri: str) -> str:
    """A SQLite store given by a relative path as an absolute one, its folder made (a run's
    ranks and later commands then find the same database wherever they start)."""
    return absolute_sqlite_url(tracking_uri, make_folder=True)


def is_server(tracking_uri: str) -> bool:
    return tracking_uri.startswith(("http://", "https://"))


def check_server(tracking_uri: str, timeout: float = 5.0) -> None:
    """Stop in one line, within ``timeout`` seconds, when no MLflow server answers at an HTTP
    ``tracking_uri`` (MLflow's client would retry for minutes); and bound the client's own
    retries for the rest of the run, unless the user set them (``MLFLOW_HTTP_REQUEST_*``)."""
    if not is_server(tracking_uri):
        return
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "2")
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_TIMEOUT", "20")
    health = tracking_uri.rstrip("/") + "/health"
    try:
        with urllib.request.urlopen(health, timeout=timeout):  # noqa: S310 (the user's URI)
            return
    except urllib.error.HTTPError:
        return  # something answers (a server without /health, a proxy asking to log in)
    except (OSError, ValueError) as error:
        reason = getattr(error, "reason", error)
        raise UserError(
            f"logger.mlflow.tracking_uri={tracking_uri}: no MLflow server answers there "
            f"({reason}). Start it (mlflow server --host ... --port ...), fix the address, or "
            "leave tracking_uri out for the local store."
        ) from None


class MLflowRun(TrackerRun, MLFlowLogger):
    """Args:
    tracking_uri: where runs go (``sqlite:///<file>``, ``http://host:5000``, ...).
    artifact_location: where a new experiment keeps its artifacts (previews, checkpoints); a
        folder is for a local store: with a server, the server's artifact store keeps them.
    log_model: attach the best checkpoint to the run at the end of training.
    experiment_name: the MLflow experiment (``None``: the task's name).
    """

    tracker = "mlflow"

    def __init__(
        self,
        tracking_uri: str,
        artifact_location: str | None = None,
        log_model: bool = False,
        experiment_name: str | None = None,
    ) -> None:
        require("mlflow", "mlflow", "mlflow")
        tracking_uri = absolute_store(tracking_uri)
        check_server(tracking_uri)
        if is_server(tracking_uri) and artifact_location and "://" not in artifact_location:
            # a folder of this machine: a server's other users could not read what lands there
            log.info(
                "MLflow artifacts go to the server's artifact store, not %s.", artifact_location
            )
            artifact_location = None
        self.store = tracking_uri
        try:  # MLflow's client opens its store here: a damaged or locked database fails now
            super().__init__(
                experiment_name=experiment_name or "colorization",
                tracking_uri=tracking_uri,
                artifact_location=str(Path(artifact_location).resolve())
                if artifact_location
                else None,
                log_model=False,  # the best checkpoint is attached at the end (record_best)
            )
        except Exception as error:  # the store's database fails in many ways
            raise unusable_store(self.tracker, tracking_uri, error) from None
        self.attach_best = log_model
        self.named_experiment = experiment_name is not None

    def describe(self, experiment: str, run_name: str, tags: dict[str, str]) -> None:
        name_mlflow_run(self, run_name, None if self.named_experiment else experiment)
        self.tags = {**(self.tags or {}), **tags}

    def continue_run(self, tracker_id: str) -> None:
        """Continue ``tracker_id``, or start a new run if this store does not hold it (another
        ``tracking_uri`` than the run started with)."""
        from mlflow.exceptions import MlflowException

        try:
            mlflow_client(self).get_run(tracker_id)
        except MlflowException:
            log.warning(
                "MLflow run %s is not in %s: a new MLflow run is started.",
                tracker_id,
                self.store,
            )
            return
        continue_mlflow_run(self, tracker_id)

    @rank_zero_only
    def log_hyperparams(self, params: dict[str, Any] | Namespace) -> None:
        """Lightning's, except that a continued run keeps its parameters (MLflow's cannot
        change): new keys are added, and a value that changed on resume (more epochs) becomes
        the tag ``resumed.<key>``."""
        self.guarded("log parameters", self.log_new_hyperparams, params)

    def log_new_hyperparams(self, params: dict[str, Any] | Namespace) -> None:
        flat = {k: str(v)[:PARAM_LENGTH] for k, v in flat_parameters(params).items()}
        logged = self.experiment.get_run(self.run_id).data.params
        changed = {k: v for k, v in flat.items() if k in logged and logged[k] != v}
        super().log_hyperparams({k: v for k, v in flat.items() if k not in logged})
        for key, value in changed.items():
            self.experiment.set_tag(self.run_id, f"resumed.{key}", value)

    def tracker_id(self) -> str | None:
        return self.run_id

    @rank_zero_only
    def log_image(self, key: str, images: Sequence[torch.Tensor], step: int | None = None) -> None:
        """Float images (3, H, W) in [0, 1] as MLflow images of ``key`` at ``step``."""
        self.guarded("log images", self._log_images, key, images, step)

    def _log_images(self, key: str, images: Sequence[torch.Tensor], step: int | None) -> None:
        for image in images:
            pixels = (image.detach().float().clamp(0, 1) * 255).round().to(torch.uint8)
            array = pixels.permute(1, 2, 0).cpu().numpy()
            self.experiment.log_image(self.run_id, array, key=key.replace("/", "_"), step=step)

    def record_best_checkpoint(self, path: str) -> None:
        self.experiment.set_tag(self.run_id, "best_checkpoint", path)
        if self.attach_best:
            self.experiment.log_artifact(self.run_id, path, artifact_path="best_checkpoint")

    def after_save_checkpoint(self, checkpoint_callback: ModelCheckpoint) -> None:
        self.remember_monitored(checkpoint_callback)

    @rank_zero_only
    def finalize(self, status: str = "success") -> None:
        if status == "success" and mlflow_run_started(self):
            self.guarded("record the best checkpoint", self.record_best)
        self.guarded("end its run", super().finalize, status)
