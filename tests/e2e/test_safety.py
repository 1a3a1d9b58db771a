"""Never lose work, in real training runs: OOM recovery, the loss guard, checkpoints, the
batch-size finder."""

from __future__ import annotations

import errno
import logging
from pathlib import Path

import pytest
import torch
from helpers import RELOAD_AFTER_3_BAD_STEPS

from colorization.errors import UserError, user_error
from colorization.runs.resume import latest_checkpoint
from colorization.train import train


def trainer_datamodule(cfg):
    from hydra.utils import instantiate

    return instantiate(cfg.data)


def test_injected_oom_halves_the_micro_batch_and_keeps_training(make_cfg, caplog) -> None:
    reference, _ = train(make_cfg())
    cfg = make_cfg("train=false")
    trainer, task = train(cfg)
    task.simulate_oom_above = 2  # batches of 4 "do not fit"; 2 do
    with caplog.at_level(logging.WARNING):
        trainer.fit(task, datamodule=trainer_datamodule(cfg))
    assert task.memory.micro_batch == 2 and task.memory.events == 1  # remembered after once
    assert trainer.global_step == reference.global_step  # same optimizer steps: no batch lost
    assert trainer.optimizers[0].state_dict()["state"]
    assert "Out of memory at micro-batch 4" in caplog.text
    assert "effective batch 4 unchanged" in caplog.text


def test_nan_losses_skip_steps_and_never_reach_the_weights(
    flaky_loss, make_cfg, tmp_path: Path
) -> None:
    cfg = make_cfg("train=false", "data.train_samples_per_epoch=24")  # 6 steps per epoch
    trainer, task = train(cfg)
    task.loss = flaky_loss(bad_calls={1, 3})
    trainer.fit(task, datamodule=trainer_datamodule(cfg))
    assert task.loss_guard.skipped == 2
    # Vetoed on the device: the optimizer was called 6 times (6 global steps) but updated the
    # weights and its own state (step count) 4 times only.
    assert trainer.global_step == 6
    optimizer = trainer.optimizers[0]
    assert all(int(state["step"]) == 4 for state in optimizer.state.values())
    assert all(torch.isfinite(p).all() for p in task.parameters())
    for path in (tmp_path / "checkpoints").glob("*.ckpt"):
        state = torch.load(path, weights_only=True)
        assert all(torch.isfinite(t).all() for t in state["state_dict"].values())


def test_persistent_nan_stops_with_likely_causes(flaky_loss, make_cfg) -> None:
    cfg = make_cfg(
        "train=false", "safety.loss_guard.max_consecutive=2", "safety.loss_guard.on_persistent=stop"
    )
    trainer, task = train(cfg)
    task.loss = flaky_loss(bad_calls=set(range(100)))
    with pytest.raises(RuntimeError, match="2 bad losses in a row.*Likely causes.*learning rate"):
        trainer.fit(task, datamodule=trainer_datamodule(cfg))


def test_persistent_nan_reloads_the_last_good_checkpoint_with_lower_lr(
    flaky_loss, make_cfg, caplog
) -> None:
    cfg = make_cfg(*RELOAD_AFTER_3_BAD_STEPS)
    trainer, task = train(cfg)
    task.loss = flaky_loss(bad_calls={5, 6, 7})
    with caplog.at_level(logging.WARNING):
        trainer.fit(task, datamodule=trainer_datamodule(cfg))
    assert "Reloaded" in caplog.text and "last.ckpt" in caplog.text
    assert trainer.optimizers[0].param_groups[0]["lr"] == pytest.approx(0.0005)
    assert trainer.global_step == 10  # vetoed steps count as global steps


def test_no_checkpoint_to_reload_stops_clearly(flaky_loss, make_cfg) -> None:
    cfg = make_cfg("train=false", "callbacks=none", "safety.loss_guard.max_consecutive=1")
    trainer, task = train(cfg)
    task.loss = flaky_loss(bad_calls={0})
    with pytest.raises(RuntimeError, match="no checkpoint exists yet"):
        trainer.fit(task, datamodule=trainer_datamodule(cfg))


def test_clip_and_accumulation_options_reach_the_task(make_cfg) -> None:
    trainer, task = train(
        make_cfg(
            "optimization.gradient_clip_val=0.25",
            "optimization.gradient_clip_algorithm=agc",
            "optimization.accumulate_grad_batches=2",
            "data.train_samples_per_epoch=16",  # 4 batches -> 2 optimizer steps
        )
    )
    assert task.hparams.gradient_clip_algorithm == "agc"
    assert trainer.global_step == 2


def test_a_corrupt_newest_checkpoint_is_skipped(make_cfg, tmp_path: Path, caplog) -> None:
    train(make_cfg())
    folder = tmp_path / "checkpoints"
    good = folder / "last.ckpt"
    corrupt = folder / "epoch=009-val_psnr=99.00.ckpt"
    corrupt.write_bytes(good.read_bytes()[:1000])  # truncated, and newer
    (folder / "last.ckpt.partial").write_bytes(b"interrupted save")
    with caplog.at_level(logging.WARNING):
        path, state = latest_checkpoint(folder)
    assert path is not None and path != corrupt and state["epoch"] == 0
    assert "Skipping checkpoint" in caplog.text and corrupt.name in caplog.text
    assert not (folder / "last.ckpt.partial").exists()


def test_batch_size_finder_runs_before_training(make_cfg) -> None:
    trainer, _ = train(make_cfg("tune.batch_size=true", "data.train_samples_per_epoch=32"))
    assert trainer.datamodule.batch_size >= 4


def test_a_full_disk_met_by_the_tensorboard_writer_is_one_clear_error(
    make_cfg, tmp_path, monkeypatch, capsys
) -> None:
    from tensorboard.summary.writer import event_file_writer

    def full(self) -> None:
        raise OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "tensorboard" / "x"))

    monkeypatch.setattr(event_file_writer._AsyncWriterThread, "_run", full)
    with pytest.raises(OSError) as failed:
        train(make_cfg())
    problem = user_error(failed.value)
    assert isinstance(problem, UserError)
    assert str(problem).startswith(f"Cannot write to {tmp_path / 'tensorboard'} (")
    assert "Exception in thread" not in capsys.readouterr().err  # no writer-thread traceback
    assert not list((tmp_path / "checkpoints").glob("*.partial"))
