"""python -m colorization.report on real (tiny) runs: leaderboard, curves, side-by-side figure
with one labelled column per run, the page, broken runs listed; and its errors."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import pytest
import torchvision
from helpers import TINY, write_images

from colorization.errors import UserError
from colorization.evaluate import evaluate
from colorization.report.__main__ import report
from colorization.runs.lock import RunLock
from colorization.train import train


def train_into(make_cfg, folder: Path, *overrides: str) -> None:
    cfg = make_cfg("trainer.max_epochs=2", "callbacks.image_preview.num_images=2", *overrides)
    cfg.paths.output_dir = str(folder)
    train(cfg)


def test_report_compares_two_models_and_lists_a_broken_run(make_cfg, tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    train_into(make_cfg, runs / "unet", "model=unet")
    train_into(make_cfg, runs / "attention", "model=attention_unet")
    evaluate(runs / "unet", hint_ratios=(0.01,), hint_points=())
    broken = runs / "broken" / ".hydra"
    broken.mkdir(parents=True)
    (broken / "config.yaml").write_text("model: [unclosed\n")
    (runs / "empty" / ".hydra").mkdir(parents=True)
    (runs / "empty" / ".hydra" / "config.yaml").write_text(
        (runs / "unet/.hydra/config.yaml").read_text()
    )

    # a run still training: its lock is held by a live process (this one)
    with RunLock(runs / "attention" / ".lock"):
        result = report([runs], images=2)

    folder = runs / "report"
    for name in (
        "leaderboard.csv",
        "leaderboard.md",
        "comparisons.csv",
        "comparisons.md",
        "curves.png",
        "side_by_side.png",
        "index.html",
    ):
        assert (folder / name).is_file(), name
    rows = list(csv.DictReader((folder / "leaderboard.csv").read_text().splitlines()))
    assert {row["runs"] for row in rows} == {"unet", "attention"}
    assert {row["configuration"] for row in rows} == {"model=UNet", "model=AttentionUNet"}
    assert {row["seeds"] for row in rows} == {"1"}
    assert {row["model"] for row in rows} == {"UNet", "AttentionUNet"}
    for row in rows:
        assert float(row["best val/psnr"]) > 0 and int(row["epochs"]) == 2
        assert float(row["params (M)"]) > 0 and float(row["GFLOPs"]) > 0
        assert float(row["img/s"]) > 0 and float(row["train time (s)"]) > 0
    status = {row["runs"]: row["status"] for row in rows}
    assert status == {"unet": "finished", "attention": "running"}
    unet = next(row for row in rows if row["runs"] == "unet")
    assert float(unet["test psnr @1%"]) > 0
    assert {r.name: r.problem for r in result["broken"]} == {
        "broken": result["broken"][0].problem,
        "empty": "no validation epoch recorded",
    }
    assert "unreadable config" in result["broken"][0].problem
    markdown = (folder / "leaderboard.md").read_text()
    assert "| configuration | model | seeds |" in markdown
    assert "`broken`: unreadable config" in markdown and "One seed per configuration" in markdown
    # only one of the two was evaluated: nothing to pair, and the report says so
    (row,) = [r for r in result["comparisons"] if r["protocol"] == "run_hints"]
    assert row["verdict"] == "not paired" and "model=AttentionUNet: not evaluated" in row["note"]
    # the command writes the report all the same, names the damaged run and fails
    command = run_cli(str(runs), "--out", str(tmp_path / "again"), "--images", "1")
    assert command.returncode == 1, command.stderr[-3000:]
    assert (tmp_path / "again" / "index.html").is_file()
    assert "1 runs could not be read:\n  broken: unreadable config" in command.stderr

    # one labelled column per configuration between the inputs and the truth
    titles = result["side_by_side"]
    assert titles[:2] == ["grey", "hints"] and titles[-1] == "truth"
    assert sorted(titles[2:-1]) == ["model=AttentionUNet", "model=UNet"]
    figure = torchvision.io.decode_image(str(folder / "side_by_side.png"))
    assert figure.shape[2] > figure.shape[1]  # 5 columns, 2 rows
    page = (folder / "index.html").read_text()
    assert 'src="side_by_side.png"' in page and 'src="curves.png"' in page


def run_cli(*args: str) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "colorization.report", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=300)


def test_report_errors_name_the_problem_in_one_line(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="is not a folder"):
        report([tmp_path / "nowhere"])
    empty = run_cli(str(tmp_path))
    assert empty.returncode == 2 and "No runs under" in empty.stderr
    assert "Traceback" not in empty.stderr


def test_seeds_form_one_configuration_and_pairs_are_tested_on_the_same_images(
    make_cfg, tmp_path: Path
) -> None:
    runs = tmp_path / "runs"
    for model in ("unet", "attention_unet"):
        for seed in (0, 1):
            folder = runs / model / f"seed{seed}"
            train_into(make_cfg, folder, f"model={model}", f"seed={seed}")
            evaluate(folder, hint_ratios=(0.01,), hint_points=(), baselines=())
    # a third configuration, tested on other images: it pairs with none, and says why
    other = runs / "unet_lr" / "seed0"
    train_into(make_cfg, other, "model=unet", "optimizer.lr=0.003")
    photos = tmp_path / "photos"
    write_images(photos, 3, size=(40, 40))
    evaluate(other, [f"data.test_root={photos}"], hint_ratios=(0.01,), hint_points=())

    result = report([runs], images=1)

    folder = runs / "report"
    rows = list(csv.DictReader((folder / "leaderboard.csv").read_text().splitlines()))
    by_model = {(row["model"], row["optimizer.lr"]): row for row in rows}
    assert len(rows) == 3 and by_model[("UNet", "0.001")]["seeds"] == "2"
    assert by_model[("UNet", "0.001")]["seed values"] == "0 1"
    assert by_model[("UNet", "0.003")]["seeds"] == "1"
    for model in ("UNet", "AttentionUNet"):
        row = by_model[(model, "0.001")]
        assert float(row["best val/psnr_ci95"]) > 0 and float(row["test psnr @1%_ci95"]) > 0
    assert by_model[("UNet", "0.003")]["best val/psnr_ci95"] == ""  # one seed: no interval

    comparisons = list(csv.DictReader((folder / "comparisons.csv").read_text().splitlines()))
    paired = [r for r in comparisons if r["verdict"] != "not paired"]
    assert {(r["protocol"], r["setting"]) for r in paired} == {
        ("run_hints", "as in validation"),
        ("random_pixels", "1%"),
    }
    for row in paired:
        assert {row["a"], row["b"]} == {
            "model=UNet, optimizer.lr=0.001",
            "model=AttentionUNet, optimizer.lr=0.001",
        }
        assert row["verdict"] in ("better", "worse", "tie") and 0 < float(row["p_value"]) <= 1
        assert row["images"] == "8" and row["seeds_a"] == row["seeds_b"] == "2"
        assert float(row["ci95_low"]) <= float(row["difference"]) <= float(row["ci95_high"])
        assert float(row["detectable"]) > 0
    unpaired = [r for r in comparisons if r["verdict"] == "not paired"]
    assert len(unpaired) == 4 and all("different images" in r["note"] for r in unpaired)
    assert len(result["comparisons"]) == len(comparisons)

    markdown = (folder / "leaderboard.md").read_text()
    assert "| configuration | vs best |" in markdown and " ± " in markdown
    assert "One seed, so no interval: model=UNet, optimizer.lr=0.003." in markdown
    page = (folder / "index.html").read_text()
    assert "Paired comparisons on the same test images" in page and "not paired" in page
    assert (folder / "comparisons.md").is_file() and (folder / "curves.png").is_file()


@pytest.mark.slow
def test_the_compare_models_recipe_over_seeds_from_the_command_line(tmp_path: Path) -> None:
    """``-m experiment=compare_models`` (tiny): two models x the recipe's seeds, then evaluate and
    report the sweep folder as a user would."""
    command = [
        sys.executable,
        "-m",
        "colorization.train",
        "-m",
        "experiment=compare_models",
        "model=unet,attention_unet",
        "seed=0,1",
        f"paths.log_dir={tmp_path}",
        *TINY,
        "trainer.max_epochs=2",
        "callbacks.image_preview.num_images=2",
    ]
    trained = subprocess.run(command, capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert trained.returncode == 0, trained.stderr[-2000:]
    (sweep,) = (tmp_path / "colorization" / "compare_models").iterdir()
    assert sorted(p.relative_to(sweep).as_posix() for p in sweep.glob("*/seed*")) == [
        "attention_unet/seed0",
        "attention_unet/seed1",
        "unet/seed0",
        "unet/seed1",
    ]
    evaluated = subprocess.run(
        [sys.executable, "-m", "colorization.evaluate", str(sweep), "--hint-points", "5"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert evaluated.returncode == 0, evaluated.stderr[-2000:]
    reported = run_cli(str(sweep), "--images", "1")
    assert reported.returncode == 0, reported.stderr[-2000:]
    assert "| configuration | vs best | model | seeds |" in reported.stdout
    assert "A - B [95 % interval]" in reported.stdout and "8 x 2/2" in reported.stdout
    rows = list(csv.DictReader((sweep / "report" / "leaderboard.csv").open()))
    assert sorted((row["model"], row["seeds"]) for row in rows) == [
        ("AttentionUNet", "2"),
        ("UNet", "2"),
    ]
