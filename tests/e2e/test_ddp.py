"""Several processes: Lightning's DDP with 2 ranks on CPU (gloo), Hydra multiruns of DDP jobs,
and submitit's local launcher. Every run has a timeout: a desynchronised rank shows as a hang.

The training-step tests run ``ddp_script.py`` (fixed data, no augmentation) in one process with
a batch of 8 and in two with 4 each: the same images per optimizer step, so the weights must
agree to float rounding (:data:`TOLERANCE`). The others run ``python -m colorization.train``.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from helpers import SMALL_RUN

pytestmark = pytest.mark.slow

SCRIPT = Path(__file__).with_name("ddp_script.py")
ENV = {**os.environ, "PYTHONWARNINGS": "ignore"}
TIMEOUT = 240
# Largest weight difference allowed between DDP and one process with the same global batch
# (float32 sums in another order; measured: up to 1.2e-7 over 6 steps).
TOLERANCE = 1e-5


def run_script(out: Path, *arguments: str) -> list[dict]:
    done = subprocess.run(
        [sys.executable, str(SCRIPT), str(out), *arguments],
        env=ENV,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    ranks = sorted(out.glob("rank*.json"))
    return [
        {**json.loads(path.read_text()), "weights": torch.load(path.with_suffix(".pt"))}
        for path in ranks
    ]


def largest_difference(first: dict, second: dict) -> float:
    a, b = first["weights"], second["weights"]
    return max((a[k].float() - b[k].float()).abs().max().item() for k in a)


def single_and_ddp(
    tmp_path: Path, *arguments: str, on_rank: tuple[str, ...] = ()
) -> tuple[dict, list[dict]]:
    """One process with a batch of 8, two with 4 each; ``on_rank`` only for the latter."""
    (single,) = run_script(tmp_path / "single", "--batch-size", "8", *arguments)
    ranks = run_script(
        tmp_path / "ddp", "--devices", "2", "--batch-size", "4", *arguments, *on_rank
    )
    assert [r["world_size"] for r in ranks] == [2, 2]
    assert largest_difference(ranks[0], ranks[1]) == 0  # the ranks hold one model
    return single, ranks


def test_two_ranks_train_the_model_one_process_trains_with_the_doubled_batch(tmp_path) -> None:
    single, (rank0, rank1) = single_and_ddp(tmp_path)
    assert largest_difference(single, rank0) < TOLERANCE
    assert rank0["global_step"] == single["global_step"] == 6
    # Validation metrics over 5 images (3 on rank 0, 2 on rank 1) are those of one process.
    for name in ("val/loss", "val/dice", "val/iou", "val/pixel_accuracy"):
        assert rank0["metrics"][name] == pytest.approx(single["metrics"][name], abs=1e-6)
        assert rank1["metrics"][name] == rank0["metrics"][name]
    assert rank0["metrics"]["train/loss"] == pytest.approx(single["metrics"]["train/loss"])


def test_a_nan_on_one_rank_skips_the_step_on_both(tmp_path: Path) -> None:
    single, ranks = single_and_ddp(tmp_path, "--nan-at-step", "2", on_rank=("--nan-rank", "1"))
    assert single["skipped"] == 1  # one process: its whole batch was hit
    assert [r["skipped"] for r in ranks] == [1, 1]
    assert [r["global_step"] for r in ranks] == [6, 6]
    assert largest_difference(single, ranks[0]) < TOLERANCE


def test_persistent_nans_on_one_rank_reload_the_checkpoint_on_both(tmp_path: Path) -> None:
    """Two bad steps in a row (the guard's limit here) on rank 1: both ranks go back to the
    last checkpoint at half the learning rate, at the same step, and train on in step."""
    single, ranks = single_and_ddp(
        tmp_path,
        "--nan-at-step",
        "2",
        "--nan-steps",
        "2",
        "--checkpoints",
        on_rank=("--nan-rank", "1"),
    )
    assert [r["lr"] for r in ranks] == [0.025, 0.025] == [single["lr"], single["lr"]]
    assert [r["skipped"] for r in ranks] == [2, 2]
    assert largest_difference(single, ranks[0]) < TOLERANCE


def test_out_of_memory_on_one_rank_only_neither_hangs_nor_changes_the_result(tmp_path) -> None:
    # Rank 1 re-splits every batch down to single images; rank 0 never runs out.
    single, ranks = single_and_ddp(tmp_path, on_rank=("--oom-rank", "1"))
    assert [r["global_step"] for r in ranks] == [6, 6]
    assert [r["micro_batch"] for r in ranks] == [1, 1]  # agreed at the logging steps
    assert largest_difference(single, ranks[0]) < TOLERANCE


def test_with_batchnorm_every_rank_keeps_rank_0s_statistics(tmp_path: Path) -> None:
    """BatchNorm normalises each rank's own 4 images (as any DDP without SyncBatchNorm): the
    result differs from one process's batch of 8, but the ranks never drift apart."""
    single, (rank0, rank1) = single_and_ddp(tmp_path, "--norm", "batch")
    assert "net.encoders.0.0.1.running_mean" in rank0["weights"]
    assert largest_difference(rank0, rank1) == 0
    assert rank0["metrics"]["val/dice"] == rank1["metrics"]["val/dice"]


@pytest.mark.parametrize("accelerator", ["cpu", pytest.param("gpu", marks=pytest.mark.gpu)])
def test_ddp_in_one_process_is_plain_training(tmp_path: Path, accelerator: str) -> None:
    if accelerator == "gpu" and not torch.cuda.is_available():
        pytest.skip("needs CUDA")
    common = ("--accelerator", accelerator, "--batch-size", "8")
    (plain,) = run_script(tmp_path / "plain", *common)
    (ddp,) = run_script(tmp_path / "ddp", *common, "--strategy", "ddp")
    assert ddp["world_size"] == 1 and ddp["global_step"] == plain["global_step"]
    assert largest_difference(plain, ddp) < TOLERANCE


# --- the training command ---------------------------------------------------------------

COMMON = [*SMALL_RUN, "trainer.accelerator=cpu", "callbacks.last_checkpoint.every_n_train_steps=2"]
DDP = ["trainer.devices=2", "trainer.strategy=ddp"]


def train(cwd: Path, *overrides: str, multirun: bool = False) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "colorization.train", *(["-m"] if multirun else [])]
    command += [*COMMON, *overrides]
    done = subprocess.run(
        command, cwd=cwd, env=ENV, capture_output=True, text=True, timeout=TIMEOUT
    )
    assert done.returncode == 0, (done.stdout + done.stderr)[-4000:]
    return done


def last_state(cwd: Path, run_name: str) -> dict:
    path = cwd / "outputs" / run_name / "checkpoints" / "last.ckpt"
    return torch.load(path, weights_only=True)


def test_kill_9_of_a_two_process_run_then_the_same_command_resumes(tmp_path: Path) -> None:
    """The whole job is killed (as when a node dies); rank 1 goes with rank 0; rerunning the
    command resumes the named run from its newest step checkpoint, with 2 ranks again."""
    full = train(tmp_path, "run_name=full", "trainer.max_epochs=2", *DDP)
    expected = last_state(tmp_path, "full")["global_step"]
    assert expected == 2 * 64 // (4 * 2)  # samples per epoch are shared out, not multiplied
    assert (full.stdout + full.stderr).count("Final validation metrics") == 1  # rank 0 only

    command = [sys.executable, "-m", "colorization.train", *COMMON, "run_name=crash"]
    command += ["trainer.max_epochs=2", *DDP]
    checkpoint = tmp_path / "outputs" / "crash" / "checkpoints" / "last.ckpt"
    process = subprocess.Popen(
        command,
        cwd=tmp_path,
        env=ENV,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + TIMEOUT
    while not checkpoint.exists() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    killed_at = torch.load(checkpoint, weights_only=True)["global_step"]
    assert 0 < killed_at < expected

    rerun = train(tmp_path, "run_name=crash", "trainer.max_epochs=2", *DDP)
    assert "Resuming from" in rerun.stdout + rerun.stderr
    assert last_state(tmp_path, "crash")["global_step"] == expected


def test_a_two_process_run_continues_in_one_process(tmp_path: Path) -> None:
    train(tmp_path, "run_name=grow", "trainer.max_epochs=1", *DDP)
    assert last_state(tmp_path, "grow")["global_step"] == 64 // 8
    resumed = train(tmp_path, "run_name=grow", "trainer.max_epochs=2", "trainer.devices=1")
    assert "Resuming from" in resumed.stdout + resumed.stderr
    assert last_state(tmp_path, "grow")["global_step"] == 64 // 8 + 64 // 4


def test_only_rank_0_writes_to_a_tracker(tmp_path: Path) -> None:
    from mlflow import MlflowClient

    train(tmp_path, "run_name=tracked", "trainer.max_epochs=2", "logger=mlflow", *DDP)
    client = MlflowClient(f"sqlite:///{tmp_path / 'outputs' / 'mlflow.db'}")
    (run,) = client.search_runs([e.experiment_id for e in client.search_experiments()])
    assert run.info.run_name == "tracked" and run.data.tags["task"] == "colorization"
    assert len(client.get_metric_history(run.info.run_id, "val/psnr")) == 2


def test_a_multirun_of_ddp_jobs_makes_one_folder_per_job(tmp_path: Path) -> None:
    """The known Lightning + Hydra trap: each rank > 0 re-running the whole sweep."""
    train(tmp_path, "model.base_width=4,8", "trainer.max_epochs=1", *DDP, multirun=True)
    sweeps = list((tmp_path / "outputs" / "colorization" / "multiruns").iterdir())
    assert len(sweeps) == 1
    jobs = sorted(p.name for p in sweeps[0].iterdir() if p.is_dir())
    assert jobs == ["0", "1"]
    for job, width in zip(jobs, (4, 8), strict=True):
        folder = sweeps[0] / job
        assert (folder / "checkpoints" / "last.ckpt").exists()
        assert (folder / "train_ddp_process_1.log").exists()  # its rank 1 ran there
        state = torch.load(folder / "checkpoints" / "last.ckpt", weights_only=True)
        first = state["state_dict"]["net.encoders.0.0.0.weight"]
        assert first.shape[0] == width
    assert not (tmp_path / "outputs" / "colorization" / "runs").exists()


def test_submitit_runs_multirun_jobs_in_parallel_processes(tmp_path: Path) -> None:
    train(
        tmp_path, "hydra/launcher=local_parallel", "debug=fast_dev_run", "seed=1,2", multirun=True
    )
    sweep = next((tmp_path / "outputs" / "colorization" / "multiruns").iterdir())
    logs = sorted((sweep / ".submitit").glob("*/*_log.out"))
    assert len(logs) == 2
    for log in logs:
        assert "Job completed successfully" in log.read_text()
    assert sorted(p.name for p in sweep.iterdir() if p.is_dir() and p.name.isdigit()) == ["0", "1"]


def test_an_optuna_search_runs_its_trials_in_parallel_workers(tmp_path: Path) -> None:
    """hydra.sweeper.n_jobs trials at a time, each in its own process, one shared study."""
    train(
        tmp_path,
        "hparams_search=colorization_optuna",
        "hydra/launcher=local_parallel",
        "hydra.sweeper.n_trials=2",
        "hydra.sweeper.n_jobs=2",
        "trainer.max_epochs=1",
        "+trainer.limit_train_batches=2",
        "+trainer.limit_val_batches=1",
        multirun=True,
    )
    folder = tmp_path / "outputs" / "colorization" / "searches" / "colorization_optuna"
    rows = (folder / "trials.csv").read_text().splitlines()
    assert len(rows) == 3 and all(",complete," in row for row in rows[1:])
    assert len(list(folder.glob(".submitit/*/*_log.out"))) == 2  # two worker processes
