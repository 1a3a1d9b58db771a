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
