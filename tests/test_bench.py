"""The benchmark's instruments, its two loops on a tiny config, and its command line."""

from __future__ import annotations

import csv
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from colorization.bench.measure import Setting, measure, measure_loader
from colorization.bench.probes import (
    PeakMemory,
    TimedBatches,
    matmul_peak_gflops,
    train_step_gflops,
)
from colorization.bench.report import append_csv, markdown_table

# The benchmark composes its own config (it sets steps, precision, layout); only the size is ours.
TINY_BENCH = [
    "model.base_width=4",
    "model.depth=2",
    "data.image_size=32",
    "data.batch_size=4",
    "data.num_workers=0",
    "trainer.accelerator=cpu",
]


def test_timed_batches_adds_up_waiting_time() -> None:
    def slow_batches():
        for index in range(3):
            time.sleep(0.02)
            yield index

    timed = TimedBatches(list(slow_batches()))
    assert list(timed) == [0, 1, 2] and timed.wait_seconds < 0.01  # ready-made: no wait

    class Slow:
        def __iter__(self):
            return slow_batches()

    timed = TimedBatches(Slow())
    assert list(timed) == [0, 1, 2]
    assert timed.wait_seconds >= 0.06


def test_peak_memory_sees_a_temporary_allocation() -> None:
    with PeakMemory(torch.device("cpu"), interval=0.001) as memory:
        block = torch.ones(64 * 2**20 // 4)  # 64 MiB, written so the pages are resident
        time.sleep(0.05)
        del block
    assert 48 <= memory.peak_mib < 1024


def test_flop_counter_counts_forward_and_backward() -> None:
    conv = torch.nn.Conv2d(2, 3, 3, padding=1, bias=False)
    image = torch.randn(1, 2, 8, 8, requires_grad=True)
    forward = 2 * 2 * 3 * 9 * 8 * 8  # multiply-adds of a 3x3 conv, 2 -> 3 channels, 8x8
    gflops = train_step_gflops(lambda: conv(image).sum().backward())
    assert gflops * 1e9 == pytest.approx(3 * forward)  # forward, input and weight gradients


def test_matmul_peak_is_a_positive_rate() -> None:
    assert matmul_peak_gflops(torch.device("cpu"), torch.float32, size=128, repeats=2) > 0


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
    assert data["data"] == "ColorizationDataModule" and data["images_per_s"] > 0


def test_report_table_and_csv_appends(tmp_path: Path) -> None:
    rows = [
        {"model": "unet", "loop": "plain", "images_per_s": 6.25, "data_wait": 0.01},
        {
            "model": "unet",
            "loop": "lightning",
            "images_per_s": 6.0,
            "val_value": float("nan"),
            "not_a_column": 1,
        },
    ]
    table = markdown_table(rows)
    assert "| unet | - | plain |" in table and "6.2" in table and "1.0%" in table
    path = tmp_path / "results.csv"
    append_csv(path, rows)
    append_csv(path, rows[:1])
    with path.open() as handle:
        read = list(csv.DictReader(handle))
    assert [r["loop"] for r in read] == ["plain", "lightning", "plain"]


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
    assert "default configuration" in out and "data wait" in out
    with csv_path.open() as handle:
        rows = list(csv.DictReader(handle))
    # 2 loops x 2 layouts, the default run on its DataModule, 2 quality runs, each task's data
    assert [row["kind"] for row in rows] == ["speed"] * 5 + ["quality"] * 2 + ["data"] * 3
    assert {row["source"] for row in rows[-3:]} == {
        "ColorizationDataModule",
        "FlareDataModule",
        "SegmentationDataModule",
    }
    assert {row["role"] for row in rows} >= {"baseline", "default"}
    assert "after 1 training steps val/psnr" in out
