"""colorization.runs.resume under several processes: rank 0 alone archives and tidies; checkpoints
that Lightning's SLURM auto-requeue writes are resumed from too."""

from __future__ import annotations

from pathlib import Path

import torch

from colorization.runs.folder import RunFolder
from colorization.runs.resume import latest_checkpoint, resume_checkpoint, starting_checkpoint


def write_checkpoint(path: Path, step: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save({"state_dict": {}, "global_step": step, "epoch": 0}, path)


def test_an_auto_requeue_checkpoint_newer_than_last_is_resumed_from(tmp_path: Path) -> None:
    run = RunFolder(tmp_path)
    write_checkpoint(run.last_checkpoint, step=10)
    write_checkpoint(run.root / "hpc_ckpt_1.ckpt", step=14)
    assert resume_checkpoint(run.root) == str(run.root / "hpc_ckpt_1.ckpt")
    assert run.root / "hpc_ckpt_1.ckpt" in run.archived_parts


def test_only_rank_0_moves_an_attempt_aside(make_cfg, tmp_path: Path, monkeypatch) -> None:
    cfg = make_cfg("run_name=job", "resume=false")
    run = RunFolder(cfg.paths.output_dir)
    write_checkpoint(run.last_checkpoint, step=5)
    monkeypatch.setenv("LOCAL_RANK", "1")
    assert starting_checkpoint(cfg, run) is None
    assert run.last_checkpoint.exists() and not run.archive.exists()  # rank 0's to move
    monkeypatch.delenv("LOCAL_RANK")
    assert starting_checkpoint(cfg, run) is None
    assert not run.last_checkpoint.exists() and run.archive.exists()


def test_only_rank_0_removes_leftover_partial_files(tmp_path: Path, monkeypatch) -> None:
    leftover = tmp_path / "last.ckpt.999999999.partial"  # its writer may run on another node
    leftover.write_bytes(b"half")
    monkeypatch.setenv("NODE_RANK", "1")
    latest_checkpoint(tmp_path)
    assert leftover.exists()
    monkeypatch.delenv("NODE_RANK")
    latest_checkpoint(tmp_path)
    assert not leftover.exists()
