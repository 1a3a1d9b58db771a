"""MLflow on a local SQLite store and on a real ``mlflow server``, and W&B offline, read back as
their users would: parameters, metric histories, previews, tags; a resumed run continues the
same tracker run; each trial of a search is its own tagged run; a server that is not there stops
the run in one line. No network beyond 127.0.0.1: W&B stays offline."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers import TINY, search_command, train_run

pytestmark = pytest.mark.slow  # six tiny trainings, a search of two trials, a server: 2 minutes


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


@pytest.fixture(scope="module")
def mlflow_server_uri(tmp_path_factory: pytest.TempPathFactory):
    from servers import mlflow_server

    with mlflow_server(tmp_path_factory.mktemp("mlflow_server")) as uri:
        yield uri


def test_a_run_and_its_resume_are_logged_to_an_mlflow_server(mlflow_server_uri, tmp_path) -> None:
    from mlflow import MlflowClient

    log_dir, folder = tmp_path / "outputs", tmp_path / "outputs" / "served"
    options = (
        "logger=mlflow",
        f"logger.mlflow.tracking_uri={mlflow_server_uri}",
        f"paths.log_dir={log_dir}",
        "run_name=served",
    )
    train_run(folder, *options, "trainer.max_epochs=2")
    train_run(folder, *options, "trainer.max_epochs=3")  # the resume

    client = MlflowClient(mlflow_server_uri)
    experiments = [e.experiment_id for e in client.search_experiments()]
    (run,) = client.search_runs(experiments)
    assert run.info.run_name == "served" and run.info.status == "FINISHED"
    assert run.data.tags["resumed.trainer/max_epochs"] == "3"
    steps = [m.step for m in client.get_metric_history(run.info.run_id, "val/psnr")]
    assert len(steps) == 3 and steps == sorted(set(steps))
    previews = client.list_artifacts(run.info.run_id, "images")  # through the server
    assert any(p.path.endswith(".png") for p in previews)
    assert not (log_dir / "mlartifacts").exists()  # not in a folder only this machine sees
    assert json.loads((folder / "trackers.json").read_text()) == {"mlflow": run.info.run_id}


def test_an_mlflow_server_that_is_not_there_stops_the_run_in_one_line(tmp_path) -> None:
    from servers import free_port

    uri = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    command = [
        sys.executable,
        "-m",
        "colorization.train",
        *TINY,
        f"paths.log_dir={tmp_path}",
        "logger=mlflow",
        f"logger.mlflow.tracking_uri={uri}",
    ]
    start = time.monotonic()
    result = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert result.returncode != 0 and time.monotonic() - start < 120
    output = result.stdout + result.stderr
    assert f"logger.mlflow.tracking_uri={uri}: no MLflow server answers there" in output
    assert "Traceback" not in output
