"""python -m colorization.evaluate: test metrics of a trained run, equal to validation on the
validation set, at every hint density; and its errors."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import write_images

from colorization.errors import UserError
from colorization.evaluate import evaluate
from colorization.train import train

TWO_EPOCHS = ("trainer.max_epochs=2", "callbacks.image_preview.num_images=2")


def metric(result: dict, protocol: str, setting: str, name: str) -> float:
    (value,) = [
        row["value"]
        for row in result["metrics"]
        if (row["protocol"], row["setting"], row["metric"]) == (protocol, setting, name)
    ]
    return value


def test_evaluation_of_the_validation_set_equals_validation(make_cfg, tmp_path: Path) -> None:
    trainer, _ = train(make_cfg(*TWO_EPOCHS))
    best = trainer.checkpoint_callback.best_model_score.item()

    result = evaluate(tmp_path, hint_ratios=(0.0, 0.05), hint_points=(0, 10))

    assert Path(result["checkpoint"]).name.startswith("epoch=")
    assert metric(result, "run_hints", "as in validation", "psnr") == pytest.approx(best, abs=1e-5)
    settings = {(row["protocol"], row["setting"]) for row in result["metrics"]}
    assert settings == {
        ("run_hints", "as in validation"),
        ("random_pixels", "0%"),
        ("random_pixels", "5%"),
        ("geometric_points", "0 points"),
        ("geometric_points", "10 points"),
    }
    # no hints is the same input whichever protocol says so; the grey baseline is beside
    no_hints = metric(result, "random_pixels", "0%", "psnr")
    assert metric(result, "geometric_points", "0 points", "psnr") == pytest.approx(no_hints)
    assert metric(result, "random_pixels", "0%", "psnr_no_color") > 0
    # baselines on the same hints: with none they are the grey image; Levin uses hints best
    grey = metric(result, "random_pixels", "0%", "psnr_no_color")
    assert metric(result, "random_pixels", "0%", "psnr_levin") == pytest.approx(grey)
    assert metric(result, "random_pixels", "0%", "psnr_hint_mean") == pytest.approx(grey)
    levin = metric(result, "random_pixels", "5%", "psnr_levin")
    assert levin > metric(result, "random_pixels", "5%", "psnr_hint_mean") > grey
    saved = json.loads((tmp_path / "evaluation.json").read_text())
    assert saved["test_set"] == "the run's validation set" and "seed" in saved["protocol_note"]
    assert (tmp_path / "evaluation.csv").read_text().startswith("protocol,setting,metric,value")
    # each image's scores: one row per image and protocol, named, their mean the logged value
    images = list(csv.DictReader((tmp_path / "evaluation_images.csv").open()))
    assert saved["images"] == 8 and len(images) == 8 * 5
    assert list(images[0])[:7] == [
        "protocol",
        "setting",
        "image",
        "index",
        "digest",
        "psnr",
        "ssim",
    ]
    assert images[0]["image"] == "chelsea view 0/0" and len(images[0]["digest"]) == 16
    for protocol, setting in settings:
        rows = [r for r in images if (r["protocol"], r["setting"]) == (protocol, setting)]
        assert [int(r["index"]) for r in rows] == list(range(8))
        for name in ("psnr", "ssim"):
            mean = sum(float(r[name]) for r in rows) / len(rows)
            assert mean == pytest.approx(metric(result, protocol, setting, name), abs=1e-4)
    # the same images have the same digests whatever the protocol (the target, not the input)
    digests = {(r["index"], r["digest"]) for r in images}
    assert len(digests) == 8


def test_a_test_folder_and_a_checkpoint_file(make_cfg, tmp_path: Path) -> None:
    train(make_cfg())
    photos = write_images(tmp_path.parent / f"{tmp_path.name}_test", 3, size=(48, 40))
    checkpoint = tmp_path / "checkpoints" / "last.ckpt"
    result = evaluate(
        checkpoint, [f"data.test_root={photos[0].parent}"], hint_ratios=(0.01,), hint_points=()
    )
    assert result["checkpoint"] == str(checkpoint)
    assert result["test_set"] == str(photos[0].parent)
    assert metric(result, "random_pixels", "1%", "psnr") > 0


def test_segmentation_reports_dice_iou_accuracy_per_class(make_cfg, tmp_path: Path) -> None:
    train(
        make_cfg(
            "task=segmentation", "data.val_samples=4", "data.num_classes=4", "task.num_classes=4"
        )
    )
    result = evaluate(tmp_path)
    names = {row["metric"] for row in result["metrics"]}
    assert {"dice", "iou", "pixel_accuracy", "dice_class0", "dice_class3"} <= names
    assert {row["protocol"] for row in result["metrics"]} == {"test_set"}
    images = list(csv.DictReader((tmp_path / "evaluation_images.csv").open()))
    assert len(images) == 4 and {"dice", "iou"} <= set(images[0])
    assert all(0 <= float(r["dice"]) <= 1 and 0 <= float(r["iou"]) <= 1 for r in images)


def run_cli(*args: str) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "colorization.evaluate", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=300)


def test_errors_name_the_problem_in_one_line(make_cfg, tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="does not exist"):
        evaluate(tmp_path / "nowhere")
    train(make_cfg())
    with pytest.raises(UserError, match="data.test_rot is not a setting.*data.test_root"):
        evaluate(tmp_path, ["data.test_rot=/x"])

    # a checkpoint of another task, put into this run's folder: the command's one line
    other = tmp_path.parent / f"{tmp_path.name}_segmentation"
    segmentation = make_cfg("task=segmentation", "data.val_samples=2")
    segmentation.paths.output_dir = str(other)
    train(segmentation)
    foreign = tmp_path / "checkpoints" / "foreign.ckpt"
    shutil.copy(other / "checkpoints" / "last.ckpt", foreign)
    wrong = run_cli(str(foreign))
    assert wrong.returncode == 2
    assert "does not fit the ColorizationTask" in wrong.stderr
    assert len(wrong.stderr.strip().splitlines()) == 1 and "Traceback" not in wrong.stderr


def test_flare_removal_is_scored_on_whole_tiled_images(make_cfg, tmp_path: Path) -> None:
    train(
        make_cfg(
            "task=flare",
            "data.scene_size=40",
            "data.val_samples=2",
            "task.tile_size=32",
            "task.tile_overlap=8",
        )
    )
    result = evaluate(tmp_path)
    assert {row["protocol"] for row in result["metrics"]} == {"whole_images"}
    assert {"psnr", "ssim", "psnr_input", "ssim_input"} <= {r["metric"] for r in result["metrics"]}
    images = list(csv.DictReader((tmp_path / "evaluation_images.csv").open()))
    assert len(images) == 2 and images[0]["protocol"] == "whole_images"
    mean = sum(float(r["psnr"]) for r in images) / 2
    assert mean == pytest.approx(metric(result, "whole_images", "", "psnr"), abs=1e-4)


@pytest.mark.slow
def test_a_folder_of_runs_is_evaluated_past_a_run_that_cannot_be(make_cfg, tmp_path: Path) -> None:
    """A sweep whose first run crashed before its first checkpoint: the others are evaluated,
    the broken one is listed with its reason, and the command fails."""
    sweep = tmp_path / "sweep"
    cfg = make_cfg()
    cfg.paths.output_dir = str(sweep / "1")
    train(cfg)
    broken = sweep / "0" / ".hydra"
    broken.mkdir(parents=True)
    shutil.copy(sweep / "1" / ".hydra" / "config.yaml", broken / "config.yaml")

    result = run_cli(str(sweep), "--hint-ratios", "0.01", "--hint-points", "1")

    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "1 of 2 runs were not evaluated" in result.stderr
    assert "0: " in result.stderr and "has no checkpoint yet" in result.stderr
    assert (sweep / "1" / "evaluation.json").is_file()
    assert not (sweep / "0" / "evaluation.json").exists()


def test_a_run_that_is_training_is_evaluated_as_provisional(make_cfg, tmp_path: Path) -> None:
    from colorization.runs.lock import RunLock

    train(make_cfg())
    with RunLock(tmp_path / ".lock"):  # held by a live process: this one
        result = evaluate(tmp_path, hint_ratios=(0.01,), hint_points=())
    assert result["provisional"] is True
    assert evaluate(tmp_path, hint_ratios=(0.01,), hint_points=())["provisional"] is False
