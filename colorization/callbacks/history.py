"""One row per validation of the run in ``<run>/history.csv``: what ``colorization.report``
reads to compare runs, whichever loggers a run used.

Each row holds the epoch and step, the validation metrics, the epoch's training throughput
(images per second of the whole job, all DDP ranks together, data loading included) and the
training time so far
(summed over resumed attempts; validation and start-up not counted). A resumed run keeps the
rows of the epochs its checkpoint had finished and rewrites the rest.
"""

from __future__ import annotations

import csv
import time
from pathlib import Path
from typing import Any

import pytorch_lightning as pl
import torch

from colorization.compat import trained_seconds_before
from colorization.writing import replacing


def read_history(path: str | Path) -> list[dict[str, str]]:
    """The rows of a history file (empty if there is none); a ValueError naming a damaged one."""
    path = Path(path)
    if not path.is_file():
        return []
    try:
        with open(path, newline="", encoding="utf-8") as handle:
            return list(csv.DictReader(handle))
    except (UnicodeDecodeError, csv.Error) as error:
        raise ValueError(f"{path}: no UTF-8 CSV text ({error})") from None


def batch_images(batch: Any) -> int:
    """Images in a batch: the first dimension of its first tensor."""
    values = batch.values() if isinstance(batch, dict) else batch
    if isinstance(values, torch.Tensor):
        return int(values.shape[0])
    return next((int(v.shape[0]) for v in values if isinstance(v, torch.Tensor)), 0)


class EpochHistory(pl.Callback):
    def __init__(self, path: str) -> None:
        self.path = Path(path)
        self.rows: list[dict[str, Any]] = []
        self._trained_before = 0.0  # training seconds of earlier epochs (and attempts)
        self._epoch_start: float | None = None
        self._epoch_seconds = 0.0
        self._images = 0
        self._restored_seconds: float | None = None  # from the checkpoint a run resumes from

    def trained_seconds(self) -> float:
        """Training seconds so far: earlier epochs and attempts, and this epoch until now."""
        running = time.perf_counter() - self._epoch_start if self._epoch_start is not None else 0
        return self._trained_before + self._epoch_seconds + running

    def state_dict(self) -> dict[str, Any]:
        # In every checkpoint, so that a resume, also one in the middle of an epoch, counts the
        # training that came before it.
        return {"train_seconds": self.trained_seconds()}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self._restored_seconds = float(state_dict.get("train_seconds", 0.0))

    def on_train_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        # Called after a resume restored the loop: current_epoch is the first epoch to train
        # (maybe from its middle). Checkpoints of 0.x hold no seconds: history.csv's then.
        kept = [r for r in read_history(self.path) if int(r["epoch"]) < trainer.current_epoch]
        self.rows = kept
        earlier = float(kept[-1]["train_seconds"]) if kept else 0.0
        self._trained_before = trained_seconds_before(self._restored_seconds, earlier)
        self._epoch_start, self._epoch_seconds = time.perf_counter(), 0.0

    def on_train_epoch_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self._epoch_start, self._epoch_seconds, self._images = time.perf_counter(), 0.0, 0
        self._restored_seconds = None  # counted from now on in _trained_before

    def on_train_batch_end(
        self, trainer: pl.Trainer, pl_module: pl.LightningModule, outputs: Any, batch: Any, *_: Any
    ) -> None:
        self._images += batch_images(batch)

    def on_validation_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if self._epoch_start is not None:  # the training part of this epoch ends here
            self._epoch_seconds += time.perf_counter() - self._epoch_start
            self._epoch_start = None

    def on_validation_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if trainer.sanity_checking or not trainer.is_global_zero:
            return
        metrics = {
            name: round(float(value), 6)
            for name, value in sorted(trainer.callback_metrics.items())
            if name.startswith("val/")
        }
        seconds = self._epoch_seconds
        row = {
            "epoch": trainer.current_epoch,
            "step": trainer.global_step,
            "train_seconds": round(self._trained_before + seconds, 3),
            # Rank 0 counts its own images; under DDP every rank trains as many per epoch.
            "images_per_second": round(self._images * trainer.world_size / seconds, 2)
            if seconds > 0
            else "",
            **metrics,
        }
        self.rows = [r for r in self.rows if int(r["epoch"]) != trainer.current_epoch] + [row]
        self._write()

    def on_train_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self._trained_before += self._epoch_seconds
        self._epoch_seconds = 0.0

    def _write(self) -> None:
        columns: list[str] = []
        for row in self.rows:
            columns += [c for c in row if c not in columns]
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with replacing(self.path, newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=columns)
            writer.writeheader()
            writer.writerows(self.rows)
