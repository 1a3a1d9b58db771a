"""What the trackers share: names, tags, the recorded run ids, the extra a missing package
names, W&B's offline default, and the loggers composing with TensorBoard."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from omegaconf import OmegaConf

from colorization.config import compose
from colorization.errors import UserError
from colorization.tracking import runs
from colorization.tracking.mlflow import MLflowRun, absolute_store
from colorization.tracking.wandb import wandb_configured


def config(tmp_path: Path, **search: object) -> object:
    cfg = compose(["task=superres"], output_dir=tmp_path / "outputs" / "superres" / "runs" / "r1")
    OmegaConf.update(cfg, "paths.log_dir", str(tmp_path / "outputs"))
    for key, value in search.items():
        OmegaConf.update(cfg, f"search.{key}", value)
    return cfg


def test_runs_are_named_after_their_folder_and_tagged(tmp_path: Path) -> None:
    cfg = config(tmp_path)
    assert runs.run_name(cfg) == "superres/runs/r1"
    tags = runs.run_tags(cfg)
    assert tags["task"] == "superres" and tags["model"] == "RDN" and tags["seed"] == "42"
    assert tags["run_folder"].endswith("r1") and "trial" not in tags
    tags = runs.run_tags(config(tmp_path, study_name="sr_search", trial=3))
    assert (tags["study"], tags["trial"]) == ("sr_search", "3")


def test_recorded_ids_are_read_safely(tmp_path: Path) -> None:
    path = tmp_path / "trackers.json"
    assert runs.read_ids(path) == {}
    path.write_text('{"mlflow": "abc", "wandb": 7}')
    assert runs.read_ids(path) == {"mlflow": "abc", "wandb": "7"}
    path.write_text("[not json")
    assert runs.read_ids(path) == {}
    path.write_text("{}" + " " * runs.MAX_IDS_BYTES)
    assert runs.read_ids(path) == {}


def test_a_tracker_without_its_package_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    found = importlib.util.find_spec
    monkeypatch.setattr(
        runs.importlib.util, "find_spec", lambda name: None if name == "mlflow" else found(name)
    )
    with pytest.raises(UserError, match=r"logger=mlflow needs the mlflow package: pip install"):
        MLflowRun(tracking_uri="sqlite:///x.db")


def test_wandb_is_offline_unless_configured(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WANDB_MODE", "")
    monkeypatch.delenv("WANDB_API_KEY", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert not wandb_configured()
    (tmp_path / ".netrc").write_text("machine api.wandb.ai\n  login user\n  password key\n")
    (tmp_path / ".netrc").chmod(0o600)
    assert wandb_configured()
    (tmp_path / ".netrc").unlink()
    monkeypatch.setenv("WANDB_MODE", "disabled")
    assert wandb_configured()


def test_a_relative_sqlite_store_becomes_absolute(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert absolute_store("sqlite:///logs/mlflow.db") == f"sqlite:///{tmp_path}/logs/mlflow.db"
    assert (tmp_path / "logs").is_dir()
    assert absolute_store("sqlite:////abs/m.db") == "sqlite:////abs/m.db"
    assert absolute_store("http://host:5000") == "http://host:5000"


def test_trackers_combine_with_tensorboard(tmp_path: Path) -> None:
    cfg = compose(["logger=[tensorboard,mlflow,wandb]"], output_dir=tmp_path / "run")
    assert set(cfg.logger) == {"tensorboard", "mlflow", "wandb"}
    assert cfg.logger.mlflow.tracking_uri.startswith("sqlite:///")
    assert cfg.logger.wandb.save_dir == str(tmp_path / "run")


def test_a_recorded_mlflow_run_missing_from_the_store_starts_a_new_one(tmp_path: Path) -> None:
    logger = MLflowRun(tracking_uri=f"sqlite:///{tmp_path / 'mlflow.db'}")
    logger.describe("colorization", "exp1", {"task": "colorization"})
    logger.continue_run("0123456789abcdef")  # recorded against another store
    assert logger.run_id not in (None, "0123456789abcdef")
    run = logger.experiment.get_run(logger.run_id)
    assert run.info.run_name == "exp1" and run.data.tags["task"] == "colorization"


def started_mlflow(tmp_path: Path) -> MLflowRun:
    cfg = config(tmp_path)
    logger = MLflowRun(tracking_uri=f"sqlite:///{tmp_path / 'mlflow.db'}")
    runs.start_trackers([logger], cfg, tmp_path / "trackers.json")
    return logger


def test_a_tracker_that_fails_mid_training_is_dropped_once_and_training_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """An MLflow store locked for 40 s once killed a run at epoch 6 of 30."""
    monkeypatch.setattr(runs, "RETRY_PAUSES", (0.0, 0.0))
    logger = started_mlflow(tmp_path)
    calls = []

    def locked(*args: object, **kwargs: object) -> None:
        calls.append(args)
        raise RuntimeError("(sqlite3.OperationalError) database is locked")

    monkeypatch.setattr(logger.experiment, "log_batch", locked)
    logger.log_metrics({"train/loss": 0.5}, step=1)  # raises nothing
    assert logger.dropped and len(calls) == 3  # the first try and two retries
    logger.log_metrics({"train/loss": 0.4}, step=2)
    logger.log_hyperparams({"late": 1})
    logger.finalize("success")
    assert len(calls) == 3
    dropped = [r for r in caplog.records if "training goes on without it" in r.getMessage()]
    assert len(dropped) == 1 and "database is locked" in dropped[0].getMessage()


def test_a_retry_that_succeeds_keeps_the_tracker(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(runs, "RETRY_PAUSES", (0.0, 0.0))
    logger = started_mlflow(tmp_path)
    real, failures = logger.experiment.log_batch, [RuntimeError("locked")]

    def once_locked(*args: object, **kwargs: object) -> None:
        if failures:
            raise failures.pop()
        real(*args, **kwargs)

    monkeypatch.setattr(logger.experiment, "log_batch", once_locked)
    logger.log_metrics({"train/loss": 0.5}, step=1)
    assert not logger.dropped
    assert logger.experiment.get_run(logger.run_id).data.metrics["train/loss"] == 0.5


def test_a_damaged_mlflow_store_stops_at_start_in_one_line(tmp_path: Path) -> None:
    store = tmp_path / "mlflow.db"
    store.write_bytes(b"this is no SQLite database" * 100)
    with pytest.raises(UserError, match=r"logger=mlflow cannot use sqlite:///.*mlflow.db") as e:
        started_mlflow(tmp_path)
    assert "\n" not in str(e.value)


def test_an_unreachable_mlflow_server_stops_at_start_within_seconds() -> None:
    import socket
    import time

    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    started = time.monotonic()
    with pytest.raises(UserError, match=rf"tracking_uri=http://127.0.0.1:{port}: no MLflow server"):
        MLflowRun(tracking_uri=f"http://127.0.0.1:{port}")
    assert time.monotonic() - started < 10


def test_an_invalid_wandb_id_in_trackers_json_starts_a_new_run(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    pytest.importorskip("wandb")
    from colorization.tracking.wandb import WandbRun

    logger = WandbRun(save_dir=str(tmp_path))
    logger.continue_run("../../etc/passwd?x")
    assert logger._wandb_init.get("id") is None and "no W&B run id" in caplog.text
    logger.continue_run("abc123")
    assert logger._wandb_init["id"] == "abc123"
