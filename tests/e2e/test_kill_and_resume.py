"""kill -9 in the middle of an epoch, then the same command again: the run resumes, and ends
with the weights and optimizer state of the run that was never killed, bit for bit."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from helpers import SMALL_RUN, assert_same_training

pytestmark = pytest.mark.slow  # 30 s: three training processes

COMMON = [*SMALL_RUN, "trainer.max_epochs=3", "callbacks.last_checkpoint.every_n_train_steps=5"]

ENV = {**os.environ, "PYTHONWARNINGS": "ignore"}


def command(run_name: str) -> list[str]:
    return [sys.executable, "-m", "colorization.train", f"run_name={run_name}", *COMMON]


def final_state(cwd: Path, run_name: str) -> dict:
    return torch.load(cwd / "outputs" / run_name / "checkpoints" / "last.ckpt", weights_only=True)


def test_kill_9_mid_epoch_then_rerun_resumes_to_the_same_step(tmp_path: Path) -> None:
    full = subprocess.run(command("full"), cwd=tmp_path, env=ENV, capture_output=True, text=True)
    assert full.returncode == 0, full.stderr[-3000:]
    expected = final_state(tmp_path, "full")
    assert expected["global_step"] == 3 * 64 // 4

    checkpoint = tmp_path / "outputs" / "crash" / "checkpoints" / "last.ckpt"
    process = subprocess.Popen(
        command("crash"),
        cwd=tmp_path,
        env=ENV,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 240
    while not checkpoint.exists() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    os.kill(process.pid, signal.SIGKILL)
    assert process.wait() == -signal.SIGKILL, "the run ended before it could be killed"
    killed_at = torch.load(checkpoint, weights_only=True)
    assert 0 < killed_at["global_step"] < expected["global_step"]

    rerun = subprocess.run(command("crash"), cwd=tmp_path, env=ENV, capture_output=True, text=True)
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    log = rerun.stdout + rerun.stderr
    assert f"global step {killed_at['global_step']}" in log and "Resuming from" in log
    assert_same_training(final_state(tmp_path, "crash"), expected)  # bit for bit
    # The same TensorBoard run continues: one folder, events from both processes.
    events = list((tmp_path / "outputs" / "crash" / "tensorboard").glob("events.out.tfevents.*"))
    assert len(events) >= 2
