"""python -m colorization.bench: the loops it compares and its command line, on tiny settings."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import pytest

from colorization.bench.measure import Setting, measure, measure_loader
from colorization.hardware import resolve_precision

# The benchmark composes its own config (it sets steps, precision, layout); only the size is ours.
TINY_BENCH = [
    "model.base_width=4",
    "model.depth=2",
    "data.image_size=32",
    "data.batch_size=4",
    "data.num_workers=0",
    "trainer.accelerator=cpu",
]


def test_plain_and_lightning_loops_train_identically() -> None:
    """Same seed, data and settings: both loops reach the same weights, hence the same score,
    so their throughput ratio measures only the framework's overhead."""
    common = dict(overrides=TINY_BENCH, steps=2, warmup=1)
    plain = measure(Setting("plain", "32-true", False), **common)
    lightning = measure(Setting("lightning", "32-true", False), **common)
    for row in (plain, lightning):
        assert row["images_per_s"] > 0 and row["step_ms"] > 0
        assert 0 <= row["data_wait"] < 1
        assert row["val_metric"] == "val/psnr"
    assert lightning["val_value"] == pytest.approx(plain["val_value"], abs=1e-3)


def test_channels_last_and_bf16_rows_resolve_their_settings() -> None:
    row = measure(Setting("lightning", "bf16-mixed", "auto"), TINY_BENCH, steps=1, warmup=1)
    assert row["precision"] == "bf16-mixed" and row["channels_last"] is True
    assert row["val_value"] > 0


def test_loader_row_counts_batches_from_the_datamodule() -> None:
    row = measure(Setting("lightning", "32-true", True, source="loader"), TINY_BENCH, 1, 1)
    assert row["source"] == "loader" and row["images_per_s"] > 0
    data = measure_loader(TINY_BENCH, batches=1)
    assert data["data"] == "PhotoDataModule" and data["images_per_s"] > 0


@pytest.mark.slow  # about 2 minutes: each of its 14 rows runs in a fresh process
def test_command_line_prints_the_table_and_writes_csv(tmp_path: Path) -> None:
    csv_path = tmp_path / "bench.csv"
    command = [
        sys.executable,
        "-m",
        "colorization.bench",
        "--steps",
        "1",
        "--warmup",
        "1",
        "--base-width",
        "4",
        "--image-size",
        "32",
        "--batch-size",
        "2",
        "--precisions",
        "32-true",
        "--data-batches",
        "1",
        "--csv",
        str(csv_path),
        "--repeats",
        "1",
        "--quality-steps",
        "1",
        "--loop-cost-steps",
        "1",
        "model.depth=2",
        "data.num_workers=0",
        "trainer.accelerator=cpu",
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    out = result.stdout
    assert "matmul peak: 32-true" in out
    assert "| unet | speed | plain | memory | 32-true | NCHW |" in out
    assert "Lightning / plain loop, 32-true channels_last" in out
    assert "x (overhead " in out and "ms per step of" in out
    assert "the loop's own cost (unet w4 64px" in out
    assert "default configuration" in out and "data wait" in out
    with csv_path.open() as handle:
        rows = list(csv.DictReader(handle))
    # 2 loops x 2 layouts per precision (32-true, and auto's choice where it differs: bf16 on a
    # CPU that runs it faster), the default run on its DataModule, 2 quality runs, each task's data
    precisions = {"32-true", str(resolve_precision("auto", "cpu"))}
    speed = 4 * len(precisions) + 1
    kinds = ["speed"] * speed + ["quality"] * 2 + ["loop cost"] * 2 + ["data"] * 3
    assert [row["kind"] for row in rows] == kinds
    assert {row["source"] for row in rows[-3:]} == {
        "PhotoDataModule",
        "FlareDataModule",
        "SegmentationDataModule",
    }
    assert {row["role"] for row in rows} >= {"baseline", "default"}
    assert "after 1 training steps val/psnr" in out


@pytest.mark.slow
def test_the_store_rows_prepare_a_corpus_with_planted_copies_and_measure_the_store(
    tmp_path: Path,
) -> None:
    from colorization.bench.__main__ import main

    rows = main(
        [
            "--store",
            "--store-photos",
            "40",
            "--search-sizes",
            "2000",
            "--startup-photos",
            "300",
            "--csv",
            str(tmp_path / "results.csv"),
        ]
    )
    values = {row["measurement"]: row["value"] for row in rows}
    assert values["planted copies found"] == 1.0 and values["distinct photos dropped"] == 0
    assert values["prepare, photos per CPU-second"] > 0
    assert values["duplicate search, 2,000 kept"] > 0
    assert values["JPEG 95, 4:4:4 (the store's): decoded on one core"] > 0
    assert values["start-up on a store of 300 photos"] > 0
    with open(tmp_path / "store.csv") as handle:
        assert len(list(csv.DictReader(handle))) == len(rows)
