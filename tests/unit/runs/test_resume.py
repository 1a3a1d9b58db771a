"""colorization.runs.resume under several processes: rank 0 alone archives and tidies; checkpoints
that Lightning's SLURM auto-requeue writes are resumed from too."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import torch

from colorization.runs.folder import RunFolder, check_run_name
from colorization.runs.record import archive, record_start
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
    record_start(run, cfg, [], resumed=False)
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


@pytest.mark.parametrize("name", ["..", ".", "a/b", "/tmp/x", "..\\x", ".hidden"])
def test_a_run_name_is_a_name(name: str) -> None:
    with pytest.raises(ValueError, match=rf"run_name={re.escape(name)} is no name.*paths.log_dir"):
        check_run_name(name)
    assert check_run_name("exp-1_b") == "exp-1_b"


def test_the_train_command_refuses_such_a_name_before_hydra_makes_a_folder(capsys) -> None:
    from colorization.train import check_command_line

    check_command_line(["run_name=exp1", "model=unet"])
    with pytest.raises(SystemExit) as stopped:
        check_command_line(["model=unet", "run_name=.."])
    assert stopped.value.code == 2
    assert capsys.readouterr().err.startswith("error: Invalid config: run_name=.. is no name")


def test_resume_false_moves_nothing_out_of_a_folder_that_is_no_run(tmp_path: Path) -> None:
    """``run_name=.. resume=false`` once moved the user's own checkpoints/ and history.csv."""
    folder = RunFolder(tmp_path)
    write_checkpoint(folder.last_checkpoint, step=3)
    folder.epoch_history.write_text("epoch\n0\n")
    assert archive(folder) is None
    assert folder.last_checkpoint.exists() and folder.epoch_history.exists()
    assert not folder.archive.exists()


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (None, "is no file"),
        (b"\x80\x04K\x01.", "does not load"),  # a pickle of another program
        (b"PK\x03\x04 cut short", "does not load"),  # a truncated zip
    ],
)
def test_a_ckpt_path_that_is_no_checkpoint_stops_in_one_line(
    make_cfg, tmp_path: Path, content: bytes | None, reason: str
) -> None:
    given = tmp_path / "given" / "checkpoints" / "x.ckpt"
    if content is not None:
        given.parent.mkdir(parents=True)
        given.write_bytes(content)
    cfg = make_cfg(f"ckpt_path={given}")
    with pytest.raises((ValueError, FileNotFoundError), match=rf"ckpt_path=.*x.ckpt {reason}") as e:
        starting_checkpoint(cfg, RunFolder(cfg.paths.output_dir))
    assert "\n" not in str(e.value) and "last.ckpt" in str(e.value)


def test_a_ckpt_path_of_another_configuration_gets_advice_that_works(
    make_cfg, tmp_path: Path
) -> None:
    from colorization.errors import RunError

    trained = RunFolder(tmp_path / "trained")
    record_start(trained, make_cfg("model=unet"), ["model=unet"], resumed=False)
    write_checkpoint(trained.last_checkpoint, step=4)
    cfg = make_cfg("model=r2_unet", f"ckpt_path={trained.last_checkpoint}")
    with pytest.raises(RunError) as refused:
        starting_checkpoint(cfg, RunFolder(cfg.paths.output_dir))
    message = str(refused.value)
    assert "overrides.yaml" in message and "leave ckpt_path out" in message
    assert "run_name=<another name>" not in message and "resume=false" not in message
    # R2UNet's own arguments follow from the class: one line says what changed
    assert "model._target_" in message and "(absent)" not in message
