"""colorization.runs.folder: the run layout, and the configs writing to exactly those paths."""

from __future__ import annotations

from pathlib import Path

from colorization.config import compose
from colorization.runs.folder import RunFolder, run_dir


def test_named_runs_keep_their_folder_unnamed_runs_get_a_new_one() -> None:
    assert run_dir("outputs", "exp1", "colorization", "2026-01-01_00-00-00") == "outputs/exp1"
    unnamed = run_dir("outputs", None, "flare", "2026-01-01_00-00-00")
    assert unnamed == "outputs/flare/runs/2026-01-01_00-00-00"


def test_a_checkpoint_knows_its_run(tmp_path: Path) -> None:
    run = RunFolder.of_checkpoint(tmp_path / "exp" / "checkpoints" / "last.ckpt")
    assert run.root == (tmp_path / "exp").resolve()
    assert run.config == run.root / ".hydra" / "config.yaml"
    assert run.last_checkpoint == run.checkpoints / "last.ckpt"


def test_callbacks_and_logger_write_into_the_run_folder_layout(tmp_path: Path) -> None:
    cfg = compose(["logger=tensorboard"], output_dir=tmp_path)
    run = RunFolder(tmp_path)
    assert Path(cfg.callbacks.last_checkpoint.dirpath) == run.checkpoints
    assert Path(cfg.callbacks.model_checkpoint.dirpath) == run.checkpoints
    assert Path(cfg.callbacks.image_preview.save_dir) == run.previews
    logger = cfg.logger.tensorboard
    assert Path(logger.save_dir) / logger.name == run.tensorboard
