"""Automatic resume: find the newest checkpoint of a run that loads, skipping broken ones."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import torch

from colorization.callbacks.checkpoint import PARTIAL_SUFFIX
from colorization.run_folder import RunFolder

log = logging.getLogger(__name__)


def load_checkpoint(path: str | Path) -> dict[str, Any]:
    """Load a checkpoint with torch's safe unpickler and check it is a training checkpoint."""
    state = torch.load(path, map_location="cpu", weights_only=True)
    missing = {"state_dict", "global_step", "epoch"} - set(state)
    if missing:
        raise ValueError(f"not a training checkpoint (missing {', '.join(sorted(missing))})")
    return state


def latest_checkpoint(folder: str | Path) -> tuple[Path | None, dict[str, Any] | None]:
    """The valid checkpoint in ``folder`` with the highest global step (newest file on ties).

    Files that do not load (truncated, corrupt, not checkpoints) are skipped with a warning;
    leftovers of interrupted saves (``*.partial``) are removed.
    """
    folder = Path(folder)
    if not folder.is_dir():
        return None, None
    for leftover in folder.glob(f"*{PARTIAL_SUFFIX}"):
        log.warning("Removing %s, left by a save that was interrupted.", leftover)
        leftover.unlink(missing_ok=True)
    best: tuple[tuple[int, float], Path, dict[str, Any]] | None = None
    for path in folder.glob("*.ckpt"):
        try:
            state = load_checkpoint(path)
        except Exception as error:  # any failure to load means: do not resume from it
            log.warning("Skipping checkpoint %s: it does not load (%s).", path, error)
            continue
        rank = (int(state["global_step"]), path.stat().st_mtime)
        if best is None or rank > best[0]:
            best = (rank, path, state)
    if best is None:
        return None, None
    return best[1], best[2]


def resume_checkpoint(run_dir: str | Path) -> str | None:
    """Path of the checkpoint a named run resumes from, or ``None`` for a fresh start."""
    path, state = latest_checkpoint(RunFolder(Path(run_dir)).checkpoints)
    if path is None:
        return None
    log.info(
        "Resuming from %s (epoch %d, global step %d).", path, state["epoch"], state["global_step"]
    )
    return str(path)
