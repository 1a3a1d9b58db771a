"""End-to-end training: fast_dev_run, artefacts of a real run, resume, the CLI from anywhere."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
import torchvision

from colorization.callbacks.history import read_history
from colorization.models.zoo import model_names
from colorization.runs.folder import RunFolder
from colorization.train import train


@pytest.mark.slow
def test_training_with_compile_and_channels_last(make_cfg) -> None:
    """torch.compile through the real training path (inductor on CPU here, CUDA for users)."""
    trainer, task = train(
        make_cfg(
            "optimization.compile=true",
            "optimization.channels_last=true",
            "+trainer.fast_dev_run=1",
        )
    )
    assert trainer.global_step == 1
    assert torch.isfinite(trainer.callback_metrics["val/psnr"])


def test_preview_gathers_images_over_batches(make_cfg, tmp_path) -> None:
    from colorization.train import train

    cfg = make_cfg(
        "task=flare",
        "data.scene_size=40",
        "data.val_samples=3",
        "callbacks.image_preview.num_images=3",
        "task.tile_size=32",
        "task.tile_overlap=8",
    )
    train(cfg)
    grid = torchvision.io.decode_image(str(tmp_path / "previews" / "epoch_000.png"))
    # three rows (one per validation batch of one image), three panels, 40 x 60 images
    assert grid.shape == (3, 3 * 42 + 2, 3 * 62 + 2)


@pytest.mark.parametrize(
    "overrides",
    [
        (),
        ("trainer.precision=bf16-mixed",),  # the AMP code path users get on GPUs, run on CPU
        ("task/hints=geometric", "scheduler=plateau", "optimizer=sgd"),
        ("model=eccv16", "task/hints=none", "task.in_channels=1"),  # automatic, as published
        ("model=siggraph17",),
        ("model=eccv16", "loss=ab_classification", "task/hints=none", "task.in_channels=1"),
        ("model=siggraph17", "loss=ab_classification"),
    ],
    ids=[
        "fp32",
        "bf16-mixed",
        "geometric-plateau-sgd",
        "eccv16-automatic",
        "siggraph17",
        "eccv16-classification",
        "siggraph17-classification",
    ],
)
def test_fast_dev_run(make_cfg, overrides: tuple[str, ...]) -> None:
    trainer, _ = train(make_cfg("debug=fast_dev_run", *overrides))
    assert trainer.state.finished
    assert torch.isfinite(trainer.callback_metrics["val/psnr"])


def test_one_epoch_writes_checkpoints_logs_and_previews(make_cfg, tmp_path: Path) -> None:
    trainer, _ = train(make_cfg())
    metrics = trainer.callback_metrics
    for name in ("val/psnr", "val/ssim", "val/psnr_no_color", "val/ssim_no_color", "val/loss"):
        assert torch.isfinite(metrics[name]), name
    checkpoints = sorted(p.name for p in (tmp_path / "checkpoints").iterdir())
    assert "last.ckpt" in checkpoints
    assert any(name.startswith("epoch=000-val_psnr=") for name in checkpoints)
    assert list((tmp_path / "tensorboard").glob("events.out.tfevents.*"))
    assert (tmp_path / "previews" / "epoch_000.png").is_file()


def test_resume_restores_epoch_step_and_optimizer(make_cfg, tmp_path: Path) -> None:
    first, _ = train(make_cfg())
    last = tmp_path / "checkpoints" / "last.ckpt"
    saved = torch.load(last, weights_only=False)
    assert saved["epoch"] == 0 and saved["global_step"] == first.global_step

    resumed, task = train(make_cfg("trainer.max_epochs=2", f"ckpt_path={last}"))
    assert resumed.current_epoch == 2
    assert resumed.global_step == 2 * first.global_step
    assert resumed.optimizers[0].state_dict()["state"]  # Adam moments came back


def test_the_bin_prior_is_measured_once_and_a_resumed_run_reads_it_back(
    make_cfg, tmp_path: Path, monkeypatch
) -> None:
    """loss=ab_classification: the class-rebalancing prior is measured on the training crops,
    cached in the run folder and kept in the checkpoint; resuming measures nothing."""
    import colorization.data.colorization.ab_prior as ab_prior

    _, task = train(make_cfg("loss=ab_classification"))
    weights = task.loss.class_weights.clone()
    assert (tmp_path / "ab_prior.json").is_file() and weights.std() > 0
    last = tmp_path / "checkpoints" / "last.ckpt"
    saved = torch.load(last, weights_only=True)["state_dict"]
    torch.testing.assert_close(saved["loss.class_weights"], weights)

    def measure_again(*args):
        raise AssertionError("the prior was measured again")

    monkeypatch.setattr(ab_prior, "measure_bin_counts", measure_again)
    overrides = ("loss=ab_classification", "trainer.max_epochs=2", f"ckpt_path={last}")
    resumed, task = train(make_cfg(*overrides))
    assert resumed.current_epoch == 2
    torch.testing.assert_close(task.loss.class_weights, weights)


def test_cli_runs_from_any_directory_and_saves_the_composed_config(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    command = [
        sys.executable,
        "-m",
        "colorization.train",
        "debug=fast_dev_run",
        "print_config=false",
        "model.base_width=4",
        "model.depth=2",
        "data.image_size=32",
        "data.batch_size=2",
    ]
    result = subprocess.run(
        command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-3000:]
    runs = list((tmp_path / "outputs" / "colorization" / "runs").iterdir())
    assert len(runs) == 1
    saved = (runs[0] / ".hydra" / "config.yaml").read_text()
    assert "base_width: 4" in saved and "ColorizationTask" in saved
    assert "Final validation metrics" in result.stdout + result.stderr
    assert "Final validation metrics" in (runs[0] / "train.log").read_text()


@pytest.mark.parametrize("name", model_names())
def test_every_model_trains_a_step_on_colorization(make_cfg, name: str) -> None:
    extra = ("model.deep_supervision=true",) if name.startswith("nested") else ()
    trainer, task = train(make_cfg("debug=fast_dev_run", f"model={name}", *extra))
    assert trainer.state.finished
    assert task.net.__class__.__name__ == make_cfg(f"model={name}").model._target_.split(".")[-1]
    assert torch.isfinite(trainer.callback_metrics["train/loss"])


def test_an_error_during_validation_stops_every_loader_worker(make_cfg) -> None:
    """Lightning tears down only the loop that was running: the training loader's persistent
    workers, which ignore SIGTERM, would outlive the run and hang the interpreter at exit."""
    import multiprocessing

    before = set(multiprocessing.active_children())
    cfg = make_cfg("data.num_workers=2", "+callbacks.boom._target_=helpers.RaiseInValidation")
    with pytest.raises(RuntimeError, match="raised at the end of validation"):
        train(cfg)
    assert not [p for p in multiprocessing.active_children() if p not in before and p.is_alive()]


def test_a_time_budget_holds_inside_the_first_epoch(make_cfg) -> None:
    """An epoch far longer than the budget: the run stops at the budget with one message, a
    validation, its checkpoints and a history row (no min_epochs keeps it going)."""
    cfg = make_cfg("data.train_samples_per_epoch=100000", "trainer.max_time=00:00:00:03")
    messages: list[str] = []
    handler = logging.Handler()
    handler.emit = lambda record: messages.append(record.getMessage())
    lightning = logging.getLogger("pytorch_lightning")  # other tests may have quietened it
    level = lightning.level
    lightning.addHandler(handler)
    lightning.setLevel(logging.INFO)
    try:
        trainer, _ = train(cfg)
    finally:
        lightning.removeHandler(handler)
        lightning.setLevel(level)
    assert trainer.global_step < 100000 // 4 // 10  # far from the end of the epoch
    assert sum("Time limit reached" in message for message in messages) == 1
    run = RunFolder(cfg.paths.output_dir)
    (row,) = read_history(run.epoch_history)
    assert row["epoch"] == "0" and float(row["val/psnr"]) > 0 and run.last_checkpoint.is_file()
