"""MLflow on a local SQLite store and W&B offline, read back as their users would: parameters,
metric histories, previews, tags; a resumed run continues the same tracker run; each trial of a
search is its own tagged run. No network: W&B stays offline, MLflow is a file."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from helpers import search_command, train_run

pytestmark = pytest.mark.slow  # four tiny trainings and a search of two trials, about a minute


def mlflow_runs(log_dir: Path) -> list:
    from mlflow import MlflowClient

    client = MlflowClient(f"sqlite:///{log_dir / 'mlflow.db'}")
    experiments = [e.experiment_id for e in client.search_experiments()]
    return client, client.search_runs(experiments)


def test_mlflow_keeps_parameters_metrics_previews_tags_and_continues_a_resumed_run(
    tmp_path: Path,
) -> None:
    log_dir, folder = tmp_path / "outputs", tmp_path / "outputs" / "exp1"
    options = ("logger=[tensorboard,mlflow]", f"paths.log_dir={log_dir}", "seed=7", "run_name=exp1")
    train_run(folder, *options, "trainer.max_epochs=2", "logger.mlflow.log_model=true")
    client, (run,) = mlflow_runs(log_dir)
    assert run.info.run_name == "exp1" and run.info.status == "FINISHED"
    assert run.data.params["model/base_width"] == "4" and run.data.params["seed"] == "7"
    tags = run.data.tags
    assert (tags["task"], tags["model"], tags["seed"]) == ("colorization", "UNet", "7")
    assert tags["run_folder"] == str(folder.resolve())
    assert Path(tags["best_checkpoint"]).parent == folder / "checkpoints"
    (attached,) = client.list_artifacts(run.info.run_id, "best_checkpoint")
    assert attached.path.endswith(Path(tags["best_checkpoint"]).name)
    history = client.get_metric_history(run.info.run_id, "val/psnr")
    assert len(history) == 2 and [m.step for m in history] == sorted(m.step for m in history)
    previews = client.list_artifacts(run.info.run_id, "images")
    assert any(p.path.endswith(".png") and "val_preview" in p.path for p in previews)
    assert (folder / "tensorboard").is_dir()  # beside TensorBoard
    # resuming adds steps to the same MLflow run
    train_run(folder, *options, "trainer.max_epochs=3")
    client, runs = mlflow_runs(log_dir)
    assert [r.info.run_id for r in runs] == [run.info.run_id]
    history = client.get_metric_history(run.info.run_id, "val/psnr")
    steps = [m.step for m in history]
    assert len(steps) == 3 and steps == sorted(set(steps))  # epoch 3 added after the two
    assert runs[0].data.tags["resumed.trainer/max_epochs"] == "3"
    assert json.loads((folder / "trackers.json").read_text()) == {"mlflow": run.info.run_id}


def test_each_trial_of_a_search_is_an_mlflow_run_tagged_with_study_and_trial(
    tmp_path: Path,
) -> None:
    log_dir = tmp_path / "out"
    command = search_command(log_dir, "trainer.max_epochs=1", "logger=mlflow")
    command.append("hydra.sweeper.n_trials=2")
    result = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    _, runs = mlflow_runs(log_dir)
    tags = sorted((r.data.tags["study"], r.data.tags["trial"]) for r in runs)
    assert tags == [("colorization_optuna", "0"), ("colorization_optuna", "1")]


def test_wandb_writes_an_offline_run_and_a_resumed_run_reuses_its_id(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WANDB_MODE", "")  # unset (Lightning sets it for an offline run)
    monkeypatch.delenv("WANDB_API_KEY", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))  # no ~/.netrc: W&B is not configured
    folder = tmp_path / "outputs" / "exp2"
    options = ("logger=wandb", f"paths.log_dir={tmp_path / 'outputs'}", "run_name=exp2")
    train_run(folder, *options, "trainer.max_epochs=1", "logger.wandb.log_model=true")
    run_id = json.loads((folder / "trackers.json").read_text())["wandb"]
    (offline,) = (folder / "wandb").glob(f"offline-run-*-{run_id}")
    records = (offline / f"run-{run_id}.wandb").read_bytes()
    assert b"val/psnr" in records and b"exp2" in records and b"task:colorization" in records
    assert list((offline / "files" / "media" / "images" / "val").glob("preview_*.png"))
    assert f"model-{run_id}".encode() in records  # the best checkpoint, an artifact
    train_run(folder, *options, "trainer.max_epochs=2")
    assert json.loads((folder / "trackers.json").read_text())["wandb"] == run_id
    assert len(list((folder / "wandb").glob(f"offline-run-*-{run_id}"))) == 2
