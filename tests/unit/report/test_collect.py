"""Reading runs for the report: one damaged run is listed with its reason, never stops the rest."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from omegaconf import OmegaConf

from colorization.report.collect import is_complete_archive, read_run
from colorization.runs.folder import RunFolder

HEADER = "epoch,step,train_seconds,images_per_second,val/loss,val/psnr\n"


def run_with(make_cfg, tmp_path: Path, history: bytes, checkpoint: bytes | None = None) -> Path:
    folder = RunFolder(tmp_path / "run")
    folder.config.parent.mkdir(parents=True)
    OmegaConf.save(make_cfg(), folder.config)
    folder.epoch_history.write_bytes(history)
    if checkpoint is not None:
        folder.checkpoints.mkdir()
        (folder.checkpoints / "epoch=000-val_psnr=20.00.ckpt").write_bytes(checkpoint)
    return folder.root


def saved_checkpoint(tmp_path: Path) -> bytes:
    path = tmp_path / "whole.ckpt"
    torch.save({"state_dict": {}, "global_step": 1, "epoch": 0}, path)
    return path.read_bytes()


def test_a_readable_run_is_read(make_cfg, tmp_path: Path) -> None:
    history = (HEADER + "0,8,1.5,10,0.2,20.0\n").encode()
    record = read_run(run_with(make_cfg, tmp_path, history, saved_checkpoint(tmp_path)), "run")
    assert record.ok and record.best_row["val/psnr"] == "20.0"


@pytest.mark.parametrize(
    ("history", "problem"),
    [
        ((HEADER + "0,8,1.5,10,0.2,abc\n").encode(), "row 1, val/psnr: 'abc' is no number"),
        (bytes(range(256)) * 4, "unreadable history"),
    ],
    ids=["not_a_number", "binary"],
)
def test_a_damaged_history_is_a_problem_of_that_run(
    make_cfg, tmp_path: Path, history: bytes, problem: str
) -> None:
    record = read_run(run_with(make_cfg, tmp_path, history), "run")
    assert not record.ok and problem in record.problem


def test_a_truncated_checkpoint_is_a_problem_of_that_run(make_cfg, tmp_path: Path) -> None:
    whole = saved_checkpoint(tmp_path)
    history = (HEADER + "0,8,1.5,10,0.2,20.0\n").encode()
    record = read_run(run_with(make_cfg, tmp_path, history, whole[: len(whole) // 2]), "run")
    assert not record.ok and "unreadable checkpoint epoch=000" in record.problem
    assert is_complete_archive(tmp_path / "whole.ckpt")


def test_a_test_of_a_run_that_was_training_or_trained_on_since_is_marked(
    make_cfg, tmp_path: Path
) -> None:
    import json
    import os

    history = (HEADER + "0,8,1.5,10,0.2,20.0\n").encode()
    root = run_with(make_cfg, tmp_path, history, saved_checkpoint(tmp_path))
    evaluation = RunFolder(root).evaluation
    evaluation.write_text(json.dumps({"metrics": [], "provisional": True}))
    assert read_run(root, "run").evaluation_state == "provisional"
    evaluation.write_text(json.dumps({"metrics": [], "provisional": False}))
    assert read_run(root, "run").evaluation_state == ""
    later = evaluation.stat().st_mtime + 60  # a validation written after the test
    os.utime(RunFolder(root).epoch_history, (later, later))
    assert read_run(root, "run").evaluation_state == "stale"


IMAGES_HEADER = "protocol,setting,image,index,digest,psnr,ssim\n"


@pytest.mark.parametrize(
    ("scores", "problem"),
    [
        (IMAGES_HEADER + "run_hints,,a,0,d0,20.5,oops\n", "line 2, ssim: 'oops' is no number"),
        ("protocol,image,psnr\nrun_hints,a,20\n", "its header lacks digest, index, setting"),
        (IMAGES_HEADER + "x,,a,0,d0,1,1\n" * 100, "larger than 0 MiB"),
    ],
    ids=["not_a_number", "no_header", "too_large"],
)
def test_damaged_or_huge_image_scores_are_a_problem_of_that_run(
    make_cfg, tmp_path: Path, monkeypatch, scores: str, problem: str
) -> None:
    monkeypatch.setattr("colorization.trained.evaluation_files.MAX_EVALUATION_BYTES", 1000)
    folder = run_with(make_cfg, tmp_path, (HEADER + "0,8,1.5,10,0.2,20.0\n").encode())
    RunFolder(folder).evaluation.write_text('{"metrics": []}')
    RunFolder(folder).evaluation_images.write_text(scores)
    record = read_run(folder, "run")
    assert not record.ok and record.problem.startswith("unreadable evaluation_images.csv")
    assert problem in record.problem


def test_image_scores_are_read_per_protocol_with_empty_scores_as_nan(
    make_cfg, tmp_path: Path
) -> None:
    folder = run_with(make_cfg, tmp_path, (HEADER + "0,8,1.5,10,0.2,20.0\n").encode())
    RunFolder(folder).evaluation.write_text('{"metrics": []}')
    RunFolder(folder).evaluation_images.write_text(
        IMAGES_HEADER + "run_hints,as in validation,a,0,d0,20.5,\nrandom_pixels,1%,a,0,d0,22,0.9\n"
    )
    record = read_run(folder, "run")
    assert record.ok
    scores = record.image_scores[("run_hints", "as in validation")][("a", "0", "d0")]
    assert scores["psnr"] == 20.5 and scores["ssim"] != scores["ssim"]  # NaN
    assert record.image_scores[("random_pixels", "1%")][("a", "0", "d0")]["ssim"] == 0.9


@pytest.mark.parametrize(
    ("scores", "problem"),
    [
        (IMAGES_HEADER + "run_hints,,a,0,d0,20.5\n", "line 2 has another number of cells"),
        (IMAGES_HEADER + "run_hints,,a,0,d0,20.5,0.9,7\n", "line 2 has another number of cells"),
        (IMAGES_HEADER + "run_hints,,a,zero,d0,20.5,0.9\n", "line 2, index: 'zero' is no number"),
        (IMAGES_HEADER + "run_hints,,a,0,d0,20.5,0.9\n" * 3, "line 3 lists a (run_hints ) a"),
    ],
    ids=["cut", "extra_cell", "text_index", "duplicated_rows"],
)
def test_a_damaged_image_scores_file_is_listed_as_damaged(
    make_cfg, tmp_path: Path, scores: str, problem: str
) -> None:
    """Not read as runs "evaluated on different images"."""
    folder = run_with(make_cfg, tmp_path, (HEADER + "0,8,1.5,10,0.2,20.0\n").encode())
    RunFolder(folder).evaluation.write_text('{"metrics": []}')
    RunFolder(folder).evaluation_images.write_text(scores)
    record = read_run(folder, "run")
    assert record.damaged and problem in record.problem


def test_a_copied_run_is_not_stale_and_one_trained_on_since_is(make_cfg, tmp_path: Path) -> None:
    """Judged by the validations the test saw (history_rows), not by file times."""
    import json
    import os

    root = run_with(make_cfg, tmp_path, (HEADER + "0,8,1.5,10,0.2,20.0\n").encode())
    evaluation = RunFolder(root).evaluation
    evaluation.write_text(json.dumps({"metrics": [], "history_rows": 1}))
    later = evaluation.stat().st_mtime + 60  # as cp -r may leave them
    os.utime(RunFolder(root).epoch_history, (later, later))
    assert read_run(root, "run").evaluation_state == ""
    history = HEADER + "0,8,1.5,10,0.2,20.0\n1,16,3,10,0.1,21.0\n"
    RunFolder(root).epoch_history.write_text(history)
    assert read_run(root, "run").evaluation_state == "stale"


def test_a_huge_or_foreign_evaluation_json_is_a_problem_of_that_run(
    make_cfg, tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.setattr("colorization.trained.evaluation_files.MAX_EVALUATION_BYTES", 100)
    folder = run_with(make_cfg, tmp_path, (HEADER + "0,8,1.5,10,0.2,20.0\n").encode())
    RunFolder(folder).evaluation.write_text('{"metrics": [' + "1," * 100 + "1]}")
    record = read_run(folder, "run")
    assert record.damaged and "evaluation.json (larger than 0 MiB)" in record.problem
    RunFolder(folder).evaluation.write_text("[1, 2]")
    assert "not a JSON object" in read_run(folder, "run").problem
