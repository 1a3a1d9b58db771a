"""A callback the streamed-store tests add to ``python -m colorization.train`` runs
(``+callbacks.record._target_=store_recording.RecordPhotos``): each rank writes the photos of
every training batch to ``<folder>/rank<r>.jsonl``, with the global step and the process id."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytorch_lightning as pl


class RecordPhotos(pl.Callback):
    def __init__(self, folder: str) -> None:
        self.folder = Path(folder)

    def on_train_batch_start(
        self, trainer: pl.Trainer, module: Any, batch: Any, index: int
    ) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        line = {
            "pid": os.getpid(),
            "step": trainer.global_step,
            "epoch": trainer.current_epoch,
            "photos": batch["index"].tolist(),
        }
        with open(self.folder / f"rank{trainer.global_rank}.jsonl", "a") as handle:
            handle.write(json.dumps(line) + "\n")
