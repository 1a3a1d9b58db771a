"""Processes as a scheduler sees them: a second process on a run is refused; SIGTERM (to the
process group, as SLURM and terminals send it, or to the main process only, as ``docker stop``
does) saves the current step and exits 143; the same command then resumes from that step."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

STEPS_PER_EPOCH = 48
COMMON = [
    "print_config=false",
    "model.base_width=8",
    "model.depth=2",
    "data.image_size=64",
    "data.batch_size=4",
    f"data.train_samples_per_epoch={4 * STEPS_PER_EPOCH}",
    "data.num_workers=2",
    "callbacks.last_checkpoint.every_n_train_steps=4",
    "~callbacks.progress_bar",
]
ENV = {**os.environ, "PYTHONWARNINGS": "ignore"}


def command(run_name: str, max_epochs: int = 1000) -> list[str]:
    """The training command; by default it trains until a signal stops it, on any machine."""
    return [
        sys.executable,
        "-m",
        "colorization.train",
        f"run_name={run_name}",
        f"trainer.max_epochs={max_epochs}",
        *COMMON,
    ]


def start(cwd: Path, run_name: str) -> subprocess.Popen:
    return subprocess.Popen(
        command(run_name),
        cwd=cwd,
        env=ENV,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # its own process group, like a job under a scheduler
    )


def wait_for(path: Path, process: subprocess.Popen, timeout: float = 240) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert process.poll() is None, process.communicate()[0][-3000:]
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.2)


def saved(checkpoint: Path) -> tuple[int, int]:
    """(epoch, global step) of a checkpoint."""
    state = torch.load(checkpoint, weights_only=True)
    return state["epoch"], state["global_step"]


@pytest.mark.parametrize(
    ("to_group", "signum"),
    [
        (True, signal.SIGTERM),
        pytest.param(False, signal.SIGTERM, marks=pytest.mark.slow),
        pytest.param(True, signal.SIGINT, marks=pytest.mark.slow),
    ],
    ids=["SIGTERM to the process group", "SIGTERM to the main process", "Ctrl-C"],
)
def test_a_stop_signal_saves_the_step_exits_128_plus_it_and_the_rerun_continues(
    tmp_path, to_group, signum
) -> None:
    run = tmp_path / "outputs" / "job"
    first = start(tmp_path, "job")
    wait_for(run / "checkpoints" / "last.ckpt", first)

    second = subprocess.run(command("job"), cwd=tmp_path, env=ENV, capture_output=True, text=True)
    assert second.returncode == 2
    assert f"is in use by process {first.pid}" in second.stdout + second.stderr
    assert "Traceback" not in second.stderr

    (os.killpg if to_group else os.kill)(first.pid, signum)
    output = first.communicate(timeout=120)[0]
    assert first.returncode == 128 + signum, output[-3000:]
    assert "Stopped at epoch" in output and "Traceback" not in output
    epoch, stopped_at = saved(run / "checkpoints" / "last.ckpt")
    assert stopped_at >= 4
    assert not (run / ".lock").exists()

    # The same run, asked to end with the epoch it was stopped in (max_epochs may change).
    finish = command("job", max_epochs=epoch + 1)
    rerun = subprocess.run(finish, cwd=tmp_path, env=ENV, capture_output=True, text=True)
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    assert f"global step {stopped_at})" in rerun.stdout + rerun.stderr  # "Resuming from ..."
    assert saved(run / "checkpoints" / "last.ckpt")[1] == (epoch + 1) * STEPS_PER_EPOCH


def test_the_cli_refuses_another_experiment_and_a_misspelled_group_in_one_line(tmp_path) -> None:
    tiny = [*COMMON, "data.num_workers=0", "trainer.max_epochs=1", "data.train_samples_per_epoch=8"]

    def train_cli(*overrides: str) -> subprocess.CompletedProcess:
        command = [sys.executable, "-m", "colorization.train", *tiny, *overrides]
        return subprocess.run(command, cwd=tmp_path, env=ENV, capture_output=True, text=True)

    assert train_cli("run_name=mm", "model=unet").returncode == 0
    config = tmp_path / "outputs" / "mm" / ".hydra" / "config.yaml"
    before = config.read_bytes()
    refused = train_cli("run_name=mm", "model=att_unet")
    assert refused.returncode == 2 and "Traceback" not in refused.stderr
    assert "model._target_: 'colorization.models.unet.UNet' -> " in refused.stdout + refused.stderr
    assert config.read_bytes() == before
    typo = train_cli("+modle=unet")
    assert typo.returncode == 2 and "Did you mean model=unet?" in typo.stdout + typo.stderr
