"""colorization.bench.probes and report: timing, memory, FLOPs, the table and the CSV."""

from __future__ import annotations

import csv
import mmap
import time
from pathlib import Path

import pytest
import torch

from colorization.bench import probes
from colorization.bench.probes import (
    SYNC_EVERY,
    PeakMemory,
    StepClock,
    TimedBatches,
    matmul_peak_gflops,
    train_step_gflops,
)
from colorization.bench.report import append_csv, markdown_table


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


def hold_fresh_pages(mib: int = 64) -> None:
    """Make ``mib`` MiB of fresh pages resident for a moment, then free them (a tensor could
    reuse memory the allocator already holds from earlier tests, and add nothing)."""
    block = mmap.mmap(-1, mib * 2**20)
    for start in range(0, len(block), mmap.PAGESIZE):
        block[start] = 1
    time.sleep(0.05)
    block.close()


def test_peak_memory_sees_a_temporary_allocation() -> None:
    with PeakMemory(torch.device("cpu"), interval=0.001) as memory:
        hold_fresh_pages()
    assert 48 <= memory.peak_mib < 1024


def test_peak_memory_without_the_kernels_peak_samples_in_a_thread(monkeypatch) -> None:
    import colorization.bench.probes as probes

    monkeypatch.setattr(probes, "reset_peak_rss", lambda: False)
    with PeakMemory(torch.device("cpu"), interval=0.001) as memory:
        assert memory._thread is not None
        hold_fresh_pages()
    assert 48 <= memory.peak_mib < 1024


def test_flop_counter_counts_forward_and_backward() -> None:
    conv = torch.nn.Conv2d(2, 3, 3, padding=1, bias=False)
    image = torch.randn(1, 2, 8, 8, requires_grad=True)
    forward = 2 * 2 * 3 * 9 * 8 * 8  # multiply-adds of a 3x3 conv, 2 -> 3 channels, 8x8
    gflops = train_step_gflops(lambda: conv(image).sum().backward())
    assert gflops * 1e9 == pytest.approx(3 * forward)  # forward, input and weight gradients


def test_matmul_peak_is_a_positive_rate() -> None:
    assert matmul_peak_gflops(torch.device("cpu"), torch.float32, size=128, repeats=2) > 0


def test_a_slow_type_is_measured_small_within_the_budget(monkeypatch) -> None:
    """bf16 on a CPU without bf16 units once took 13 minutes before the first row: the matrix
    grows only while a product stays well inside the budget."""
    sides = []
    real = torch.randn

    def recording(*shape: int, **kwargs: object) -> torch.Tensor:
        sides.append(shape[0])
        return real(*shape, **kwargs)

    monkeypatch.setattr(torch, "randn", recording)
    assert matmul_peak_gflops(torch.device("cpu"), torch.bfloat16, budget_seconds=1e-6) > 0
    assert max(sides) == 256  # the first product already spent the budget: no larger one
    sides.clear()
    matmul_peak_gflops(torch.device("cpu"), torch.float32, size=512, budget_seconds=60)
    assert max(sides) == 512


def test_the_peaks_measured_are_those_of_the_rows() -> None:
    from types import SimpleNamespace

    from colorization.bench.__main__ import precisions_to_run

    cpu, cuda = torch.device("cpu"), torch.device("cuda")
    assert precisions_to_run(SimpleNamespace(precisions=["32-true"]), cpu) == ["32-true"]
    assert precisions_to_run(SimpleNamespace(precisions=None), cpu) == ["32-true", "bf16-mixed"]
    assert "16-mixed" in precisions_to_run(SimpleNamespace(precisions=None), cuda)


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


def test_the_step_clock_waits_for_the_device_only_every_few_steps(monkeypatch) -> None:
    """Waiting after every step would hide what a loop gains by queuing ahead on a GPU."""
    waits: list[int] = []
    now = iter(float(t) for t in range(100))
    monkeypatch.setattr(probes, "synchronize", lambda device: waits.append(clock.done))
    monkeypatch.setattr(probes.time, "perf_counter", lambda: next(now))
    clock = StepClock(TimedBatches([]), warmup=2, steps=2 * SYNC_EVERY + 1)
    batch = {"image": torch.zeros(4, 1)}
    while not clock.finished:
        clock.step_done(batch, torch.device("cpu"))
    assert waits == [2, 2 + SYNC_EVERY, 2 + 2 * SYNC_EVERY, 3 + 2 * SYNC_EVERY]
    # One clock tick between waits: steps of 1/5 s in the full groups, 1 s in the last.
    assert clock.durations() == pytest.approx([1 / SYNC_EVERY, 1 / SYNC_EVERY, 1.0])
    assert clock.images_per_s() == pytest.approx(4 * SYNC_EVERY)


def test_on_a_cpu_the_clock_times_every_step(monkeypatch) -> None:
    now = iter(float(t) for t in range(100))
    monkeypatch.setattr(probes.time, "perf_counter", lambda: next(now))
    clock = StepClock(TimedBatches([]), warmup=1, steps=4, sync_every=1)
    while not clock.finished:
        clock.step_done({"image": torch.zeros(2, 1)}, torch.device("cpu"))
    assert clock.durations() == [1.0] * 4


def test_the_data_rows_measure_each_datamodule_once() -> None:
    """task=superres reads the colorization photos: its DataModule is measured once, as
    colorization's (the bench's data rows are one per DataModule class)."""
    from colorization.bench.__main__ import data_target, data_tasks

    assert data_tasks() == ["colorization", "flare", "segmentation"]
    assert data_target("superres") == data_target("colorization")


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--models", "unett"], "--models: unknown unett"),
        (["--warmup", "0"], "--warmup must be >= 1, got 0"),
        (["--quality-steps", "-1"], "--quality-steps must be >= 0"),
        (["model.base_widht=8"], "error: Could not override 'model.base_widht'"),
        (["+optimizer.lrr=3"], "optimizer.lrr is not an argument of torch.optim.Adam"),
    ],
)
def test_the_bench_refuses_bad_arguments_in_one_line(capsys, arguments, message) -> None:
    from colorization.bench.__main__ import main

    with pytest.raises(SystemExit) as stop:
        main(arguments)
    error = capsys.readouterr().err
    assert stop.value.code == 2 and message in error and "Traceback" not in error


def test_the_summary_gives_each_ratio_its_overhead_and_the_loops_own_cost() -> None:
    from colorization.bench.report import summary

    def row(loop: str, kind: str, step_ms: float, model: str = "unet") -> dict:
        return {
            "model": model,
            "kind": kind,
            "loop": loop,
            "source": "memory",
            "compile": False,
            "precision": "bf16-mixed",
            "layout": "channels_last",
            "role": "",
            "step_ms": step_ms,
            "images_per_s": 8000 / step_ms,
        }

    lines = summary(
        [
            row("plain", "speed", 340.0),
            row("lightning", "speed", 374.0),
            row("plain", "loop cost", 12.5, "unet w4 64px"),
            row("lightning", "loop cost", 13.75, "unet w4 64px"),
        ]
    )
    assert lines[0] == (
        "unet: Lightning / plain loop, bf16-mixed channels_last: 0.909x "
        "(overhead +34.0 ms per step of 340)"
    )
    assert lines[-1] == (
        "the loop's own cost (unet w4 64px, bf16-mixed channels_last): overhead +1.2 ms per "
        "step of 12 (plain 12.5 ms, framework 13.8 ms)"
    )
