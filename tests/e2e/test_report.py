"""python -m colorization.report on real (tiny) runs: leaderboard, curves, side-by-side figure
with one labelled column per run, the page, broken runs listed; and its errors."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import pytest
import torchvision

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
        "curves.png",
        "side_by_side.png",
        "index.html",
    ):
        assert (folder / name).is_file(), name
    rows = list(csv.DictReader((folder / "leaderboard.csv").read_text().splitlines()))
    assert {row["run"] for row in rows} == {"unet", "attention"}
    assert {row["model"] for row in rows} == {"UNet", "AttentionUNet"}
    for row in rows:
        assert float(row["best val/psnr"]) > 0 and int(row["epochs"]) == 2
        assert float(row["params (M)"]) > 0 and float(row["GFLOPs"]) > 0
        assert float(row["img/s"]) > 0 and float(row["train time (s)"]) > 0
    status = {row["run"]: row["status"] for row in rows}
    assert status == {"unet": "finished", "attention": "running"}
    unet = next(row for row in rows if row["run"] == "unet")
    assert float(unet["test psnr @1%"]) > 0
    assert {r.name: r.problem for r in result["broken"]} == {
        "broken": result["broken"][0].problem,
        "empty": "no validation epoch recorded",
    }
    assert "unreadable config" in result["broken"][0].problem
    markdown = (folder / "leaderboard.md").read_text()
    assert "| run | model |" in markdown and "`broken`: unreadable config" in markdown
    # the command writes the report all the same, names the damaged run and fails
    command = run_cli(str(runs), "--out", str(tmp_path / "again"), "--images", "1")
    assert command.returncode == 1 and (tmp_path / "again" / "index.html").is_file()
    assert "1 runs could not be read:\n  broken: unreadable config" in command.stderr

    # one labelled column per run between the inputs and the truth
    titles = result["side_by_side"]
    assert titles[:2] == ["grey", "hints"] and titles[-1] == "truth"
    assert sorted(t.split("\n")[0] for t in titles[2:-1]) == ["attention", "unet"]
    assert all("model=" in t for t in titles[2:-1])
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
