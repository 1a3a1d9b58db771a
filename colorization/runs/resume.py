"""Automatic resume: find the newest checkpoint of a run that loads, skipping broken ones."""

from __future__ import annotations

import logging
import os
import pickle
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import torch
from omegaconf import DictConfig

from colorization.callbacks.checkpoint import PARTIAL_SUFFIX, load_checkpoint, newest_checkpoint
from colorization.data.images import shown
from colorization.errors import first_line
from colorization.runs.folder import RunFolder
from colorization.runs.lock import follows_a_job, pid_is_running
from colorization.runs.record import archive, check_resumable

log = logging.getLogger(__name__)


def latest_checkpoint(
    folder: str | Path, files: Iterable[Path] | None = None
) -> tuple[Path | None, dict[str, Any] | None]:
    """The valid checkpoint in ``folder`` (or among ``files``, checkpoints of that folder and
    elsewhere) with the highest global step (newest file on ties).

    Files that do not load (truncated, corrupt, not checkpoints) are skipped with a warning;
    leftovers of interrupted saves (``*.<pid>.partial``) are removed once their process is gone.
    """
    folder = Path(folder)
    if folder.is_dir():
        # Only rank 0 tidies up: another node cannot tell whether rank 0's writer is alive.
        leftovers = [] if follows_a_job() else folder.glob(f"*{PARTIAL_SUFFIX}")
        for leftover in leftovers:
            if not _left_behind(leftover):
                continue
            log.warning("Removing %s, left by a save that was interrupted.", leftover)
            leftover.unlink(missing_ok=True)
    candidates = list(folder.glob("*.ckpt")) if files is None else list(files)
    return newest_checkpoint(candidates)


def _left_behind(partial: Path) -> bool:
    """A partial file whose writer is gone (``<name>.<pid>.partial``; older unnamed ones too)."""
    writer = partial.name[: -len(PARTIAL_SUFFIX)].rsplit(".", 1)[-1]
    if not writer.isdigit():
        return True
    pid = int(writer)
    return pid != os.getpid() and not pid_is_running(pid)


def check_checkpoint_file(path: Path) -> None:
    """Stop in one line, naming ``ckpt_path``, unless it is a training checkpoint that loads
    (not a folder, a truncated file, a pickle of something else)."""
    if not path.is_file():
        raise FileNotFoundError(
            f"ckpt_path={shown(path)} is no file: give a .ckpt that training wrote "
            "(<run>/checkpoints/last.ckpt), or leave ckpt_path out."
        )
    try:
        load_checkpoint(path)
    except pickle.UnpicklingError:
        reason = "it holds objects torch's safe loader does not read: no training checkpoint"
    except Exception as error:  # a truncated zip, another file: many types
        reason = first_line(error).split(". ")[0]
        raise ValueError(
            f"ckpt_path={shown(path)} does not load ({reason}): give a .ckpt that training wrote "
            "(<run>/checkpoints/last.ckpt), or leave ckpt_path out."
        ) from None


def starting_checkpoint(cfg: DictConfig, run: RunFolder) -> str | None:
    """The checkpoint this training starts from, after checking it may: ``ckpt_path`` if given;
    for a named run its newest checkpoint, if its recorded config is compatible (else a
    :class:`~colorization.runs.record.RunError` before anything is touched); none for a fresh
    run, or with ``resume=false``, which first moves the earlier attempt aside."""
    if cfg.get("ckpt_path") is not None:
        check_checkpoint_file(Path(cfg.ckpt_path))
        check_resumable(RunFolder.of_checkpoint(cfg.ckpt_path), cfg, given_checkpoint=True)
        return str(cfg.ckpt_path)
    if not cfg.get("run_name"):
        return None
    if cfg.get("resume", True) is False:
        if not follows_a_job():  # rank 0 moves the attempt aside; the other ranks join it
            archive(run)
        return None
    if not run.checkpoint_files():
        return None
    check_resumable(run, cfg)
    return resume_checkpoint(run.root)


def resume_checkpoint(run_dir: str | Path) -> str | None:
    """Path of the checkpoint a named run resumes from, or ``None`` for a fresh start."""
    run = RunFolder(Path(run_dir))
    path, state = latest_checkpoint(run.checkpoints, run.checkpoint_files())
    if path is None:
        return None
    log.info(
        "Resuming from %s (epoch %d, global step %d).", path, state["epoch"], state["global_step"]
    )
    return str(path)


def recorded_seed(ckpt_path: str | Path) -> int | None:
    """The seed of the run ``ckpt_path`` was saved from (checkpoints of 1.7 on), read without
    loading its tensors."""
    state = torch.load(ckpt_path, map_location="cpu", weights_only=True, mmap=True)
    seed = state.get("step_seed") if isinstance(state, dict) else None
    return seed if isinstance(seed, int) else None
