"""Never lose work: OOM recovery, the loss guard, clipping, safe checkpoints, precision."""

from __future__ import annotations

import logging
import math
import types
from pathlib import Path

import pytest
import torch
from torch import nn

from colorization.callbacks.checkpoint import SafeModelCheckpoint
from colorization.hardware import resolve_precision
from colorization.models import UNet
from colorization.resume import latest_checkpoint
from colorization.tasks import ColorizationTask
from colorization.tasks.clipping import adaptive_clip_grad_, clip_gradients_
from colorization.tasks.guard import LossGuard
from colorization.tasks.oom import OutOfMemoryRecovery
from colorization.train import train


class FlakyLoss(nn.Module):
    """L1, except NaN on the training calls listed in ``bad_calls`` (counted from 0)."""

    def __init__(self, bad_calls: set[int]) -> None:
        super().__init__()
        self.bad_calls = bad_calls
        self.calls = 0

    def forward(self, pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        loss = (pred - target).abs().mean()
        if self.training:
            self.calls += 1
            if self.calls - 1 in self.bad_calls:
                return loss * float("nan")
        return loss


# --- out of memory ---------------------------------------------------------------------


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


def trainer_datamodule(cfg):
    from hydra.utils import instantiate

    return instantiate(cfg.data)


def test_micro_batches_give_the_gradient_of_the_whole_batch() -> None:
    torch.manual_seed(0)
    net = UNet(4, 2, base_width=4, depth=2, norm="none")  # no batch statistics involved

    def fixed_hints(ab: torch.Tensor, generators=None) -> tuple[torch.Tensor, torch.Tensor]:
        mask = (ab[:, :1] > 0).to(ab.dtype)  # a function of the image only, not of the chunk
        return ab * mask, mask

    task = ColorizationTask(net, nn.L1Loss(), torch.optim.Adam, hints=fixed_hints)
    task.manual_backward = lambda loss: loss.backward()  # as Lightning does, outside a Trainer
    batch = {
        "image": torch.randint(0, 256, (4, 3, 16, 16), dtype=torch.uint8),
        "index": torch.arange(4),
    }
    grads, losses = [], []
    for micro in (4, 1):
        task.zero_grad()
        losses.append(task._backward_in_chunks(batch, micro))
        grads.append(torch.cat([p.grad.flatten() for p in task.parameters()]))
    assert torch.allclose(losses[0], losses[1], atol=1e-6)
    assert torch.allclose(grads[0], grads[1], atol=1e-6)


def test_oom_below_one_sample_stops_with_a_clear_message() -> None:
    recovery = OutOfMemoryRecovery()

    def always_oom(micro: int) -> torch.Tensor:
        raise torch.cuda.OutOfMemoryError("CUDA out of memory")

    with pytest.raises(RuntimeError, match="micro-batch of 1.*image_size"):
        recovery.run(8, always_oom, reset=lambda: None)
    assert recovery.events == 3  # 8 -> 4 -> 2 -> 1, then stop


def test_other_errors_are_not_mistaken_for_oom() -> None:
    def broken(micro: int) -> torch.Tensor:
        raise RuntimeError("shapes do not match")

    with pytest.raises(RuntimeError, match="shapes"):
        OutOfMemoryRecovery().run(8, broken, reset=lambda: None)


# --- exploding / NaN losses ------------------------------------------------------------


def test_guard_flags_nan_and_spikes_and_escalates() -> None:
    guard = LossGuard(spike_factor=5.0, window=10, warmup=3, max_consecutive=2)
    assert [guard.check(v) for v in (1.0, 1.1, 0.9)] == ["ok", "ok", "ok"]
    assert guard.check(math.nan) == "skip" and "non-finite" in guard.last_reason
    assert guard.check(50.0) == "reload" and "running median" in guard.last_reason
    assert guard.check(4.0) == "ok"  # below 5 x median: fine, and the streak resets
    assert guard.skipped == 2


def test_guard_rejects_bad_settings() -> None:
    with pytest.raises(ValueError, match="spike_factor"):
        LossGuard(spike_factor=0.5)
    with pytest.raises(ValueError, match="on_persistent"):
        LossGuard(on_persistent="ignore")  # type: ignore[arg-type]


def test_nan_losses_skip_steps_and_never_reach_the_weights(make_cfg, tmp_path: Path) -> None:
    cfg = make_cfg("train=false", "data.train_samples_per_epoch=24")  # 6 steps per epoch
    trainer, task = train(cfg)
    task.loss = FlakyLoss(bad_calls={1, 3})
    trainer.fit(task, datamodule=trainer_datamodule(cfg))
    assert task.loss_guard.skipped == 2
    assert trainer.global_step == 6 - 2
    assert all(torch.isfinite(p).all() for p in task.parameters())
    for path in (tmp_path / "checkpoints").glob("*.ckpt"):
        state = torch.load(path, weights_only=True)
        assert all(torch.isfinite(t).all() for t in state["state_dict"].values())


def test_persistent_nan_stops_with_likely_causes(make_cfg) -> None:
    cfg = make_cfg(
        "train=false", "safety.loss_guard.max_consecutive=2", "safety.loss_guard.on_persistent=stop"
    )
    trainer, task = train(cfg)
    task.loss = FlakyLoss(bad_calls=set(range(100)))
    with pytest.raises(RuntimeError, match="2 bad losses in a row.*Likely causes.*learning rate"):
        trainer.fit(task, datamodule=trainer_datamodule(cfg))


def test_persistent_nan_reloads_the_last_good_checkpoint_with_lower_lr(make_cfg, caplog) -> None:
    cfg = make_cfg(
        "train=false",
        "data.train_samples_per_epoch=40",  # 10 steps per epoch
        "callbacks.last_checkpoint.every_n_train_steps=2",
        "safety.loss_guard.max_consecutive=3",
        "scheduler=none",
        "optimizer.lr=0.001",
    )
    trainer, task = train(cfg)
    task.loss = FlakyLoss(bad_calls={5, 6, 7})
    with caplog.at_level(logging.WARNING):
        trainer.fit(task, datamodule=trainer_datamodule(cfg))
    assert "Reloaded" in caplog.text and "last.ckpt" in caplog.text
    assert trainer.optimizers[0].param_groups[0]["lr"] == pytest.approx(0.0005)
    assert trainer.global_step == 10 - 3


def test_no_checkpoint_to_reload_stops_clearly(make_cfg) -> None:
    cfg = make_cfg("train=false", "callbacks=none", "safety.loss_guard.max_consecutive=1")
    trainer, task = train(cfg)
    task.loss = FlakyLoss(bad_calls={0})
    with pytest.raises(RuntimeError, match="no checkpoint exists yet"):
        trainer.fit(task, datamodule=trainer_datamodule(cfg))


# --- clipping --------------------------------------------------------------------------


def test_adaptive_clipping_bounds_unitwise_ratio() -> None:
    layer = nn.Conv2d(3, 4, 3)
    layer.weight.grad = torch.randn_like(layer.weight) * 100
    layer.bias.grad = torch.randn_like(layer.bias) * 100
    adaptive_clip_grad_(layer.parameters(), clip=0.01)
    weight_norms = layer.weight.detach().flatten(1).norm(dim=1).clamp(min=1e-3)
    grad_norms = layer.weight.grad.flatten(1).norm(dim=1)
    assert torch.all(grad_norms <= 0.01 * weight_norms * 1.0001)


@pytest.mark.parametrize("algorithm", ["norm", "value", "agc"])
def test_clipping_reduces_large_gradients(algorithm: str) -> None:
    model = UNet(4, 2, base_width=4, depth=1)
    for p in model.parameters():
        p.grad = torch.full_like(p, 10.0)
    clip_gradients_(model.parameters(), algorithm, 0.5)
    grads = torch.cat([p.grad.flatten() for p in model.parameters()])
    if algorithm == "norm":
        assert grads.norm() <= 0.5 + 1e-4
    else:
        assert grads.abs().max() < 10.0
    with pytest.raises(ValueError, match="gradient_clip_algorithm"):
        clip_gradients_(model.parameters(), "median", 1.0)  # type: ignore[arg-type]


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


# --- checkpoints -----------------------------------------------------------------------


def test_non_finite_weights_are_never_saved(tmp_path: Path) -> None:
    module = UNet(4, 2, base_width=4, depth=1)
    with torch.no_grad():
        next(module.parameters()).fill_(float("nan"))
    callback = SafeModelCheckpoint(dirpath=tmp_path)
    trainer = types.SimpleNamespace(lightning_module=module)
    callback._save_checkpoint(trainer, str(tmp_path / "last.ckpt"))
    assert not list(tmp_path.iterdir())


def test_checkpoints_are_written_atomically(tmp_path: Path) -> None:
    written: list[str] = []

    def save_checkpoint(path: str, weights_only: bool = False) -> None:
        written.append(path)
        Path(path).write_bytes(b"checkpoint")

    trainer = types.SimpleNamespace(
        lightning_module=UNet(4, 2, base_width=4, depth=1),
        save_checkpoint=save_checkpoint,
        is_global_zero=True,
        loggers=[],
        global_step=7,
    )
    SafeModelCheckpoint(dirpath=tmp_path)._save_checkpoint(trainer, str(tmp_path / "last.ckpt"))
    assert written == [str(tmp_path / "last.ckpt.partial")]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["last.ckpt"]


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


# --- configuration -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("override", "key"),
    [
        ("optimizer.lr=-0.001", "optimizer.lr"),
        ("data.image_size=0", "data.image_size"),
        ("task.hints.ratios=[0.01,1.5]", "task.hints.ratios"),
        ("optimization.accumulate_grad_batches=0", "optimization.accumulate_grad_batches"),
        ("+trainer.accumulate_grad_batches=2", "trainer.accumulate_grad_batches"),
    ],
)
def test_invalid_values_fail_at_start_naming_the_key(make_cfg, override: str, key: str) -> None:
    with pytest.raises(ValueError, match=f"Invalid config: {key}="):
        train(make_cfg(override))


def test_precision_auto(monkeypatch) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert resolve_precision("auto") == "16-mixed"
    assert resolve_precision("auto", "cpu") in ("bf16-mixed", "32-true")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr("colorization.hardware.cpu_supports_bf16", lambda: True)
    assert resolve_precision("auto") == "bf16-mixed"
    monkeypatch.setattr("colorization.hardware.cpu_supports_bf16", lambda: False)
    assert resolve_precision("auto") == "32-true"
    assert resolve_precision("16-mixed") == "16-mixed"


def test_batch_size_finder_runs_before_training(make_cfg) -> None:
    trainer, _ = train(make_cfg("tune.batch_size=true", "data.train_samples_per_epoch=32"))
    assert trainer.datamodule.batch_size >= 4
