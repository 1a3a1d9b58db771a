"""The CUDA paths users get, on a real GPU: the automatic precision (bf16-mixed from Ampere on),
16-mixed with a vetoed step, pix2pix under fp16 loss scaling, recovery from a real CUDA
out-of-memory error, no host synchronisation inside training steps, validation hints equal to
the CPU's, compiled channels-last training, a short run scoring as on CPU, and a run killed and
resumed with ``trainer.deterministic=true`` ending as the uninterrupted one.

The same code paths run on CPU in the rest of the suite (bf16/fp16 plugins, an injected OOM);
these tests add what only a GPU shows. Without CUDA they are skipped, with the reason listed in
pytest's summary: ``pytest -m gpu`` on a GPU machine runs them.
"""

from __future__ import annotations

import logging

import pytest
import pytorch_lightning as pl
import torch
from helpers import TINY, assert_same_training
from run_stops import KillMidEpoch
from run_stops import train as train_run

from colorization.build import build_datamodule, build_task
from colorization.config import compose
from colorization.hardware import auto_precision
from colorization.lightning_compat import logs_this_step
from colorization.train import train

pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA (run: pytest -m gpu)"),
]
GPU = ("trainer.accelerator=gpu",)


def test_default_run_trains_in_the_automatic_precision_channels_last(make_cfg) -> None:
    trainer, task = train(make_cfg(*GPU, "+trainer.fast_dev_run=2"))
    capability = torch.cuda.get_device_capability()
    assert trainer.precision == auto_precision(capability, cpu_bf16=False)
    assert torch.get_float32_matmul_precision() == ("high" if capability >= (8, 0) else "highest")
    assert trainer.strategy.root_device.type == "cuda"
    assert task.memory_format == torch.channels_last
    assert trainer.global_step == 2
    assert torch.isfinite(trainer.callback_metrics["val/psnr"])


def test_pix2pix_steps_both_networks_once_per_step_under_fp16_scaling(make_cfg) -> None:
    cfg = make_cfg(*GPU, "task=flare", "task.adversarial=true", "data.scene_size=64", "train=false")
    trainer, task = train(cfg)
    critic = [p.detach().clone() for p in task.gan.parameters()]
    trainer.fit(task, datamodule=build_datamodule(cfg))
    assert trainer.global_step == 2  # 8 samples / batch 4: the discriminator's steps not counted
    assert any(
        not torch.equal(a, b.cpu()) for a, b in zip(critic, task.gan.parameters(), strict=True)
    )
    assert all(torch.isfinite(p).all() for p in task.parameters())


def test_a_real_cuda_oom_is_recovered_by_micro_batches(make_cfg, caplog) -> None:
    """Cap this process at a small share of the card so a moderate batch runs out of memory."""
    total = torch.cuda.get_device_properties(0).total_memory
    torch.cuda.set_per_process_memory_fraction(min(1.0, 3 * 2**30 / total))
    try:
        overrides = ("model.base_width=32", "model.depth=4", "data.image_size=256")
        batch = ("data.batch_size=64", "data.train_samples_per_epoch=64")
        with caplog.at_level(logging.WARNING):
            trainer, task = train(
                make_cfg(*GPU, *overrides, *batch, "+trainer.limit_val_batches=1")
            )
    finally:
        torch.cuda.set_per_process_memory_fraction(1.0)
        torch.cuda.empty_cache()
    assert task.memory.events >= 1 and task.memory.micro_batch < 64
    assert trainer.global_step == 1  # the batch was not lost
    assert "Out of memory at micro-batch 64" in caplog.text


@pytest.mark.parametrize("precision", ["16-mixed", "bf16-mixed", "32-true"])
def test_a_nan_loss_is_vetoed_on_the_device_in_every_precision(
    precision, make_cfg, flaky_loss
) -> None:
    if precision == "bf16-mixed" and not torch.cuda.is_bf16_supported():
        pytest.skip("this card has no bf16")
    cfg = make_cfg(*GPU, f"trainer.precision={precision}", "train=false")
    cfg.data.train_samples_per_epoch = 24  # 6 steps
    trainer, task = train(cfg)
    task.loss = flaky_loss(bad_calls={1, 3})
    trainer.fit(task, datamodule=build_datamodule(cfg))
    assert task.loss_guard.skipped == 2
    assert all(torch.isfinite(p).all() for p in task.parameters())
    if precision != "16-mixed":  # fused Adam skipped its own step count too
        assert all(int(s["step"]) == 4 for s in trainer.optimizers[0].state.values())


class NoSyncInSteps(pl.Callback):
    """CUDA's own check: any synchronising call inside a training step outside logging steps
    raises (``torch.cuda.set_sync_debug_mode("error")``)."""

    def __init__(self) -> None:
        self.checked = 0

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx) -> None:
        if batch_idx >= 2 and not logs_this_step(trainer):  # after cuDNN's first-shape tuning
            torch.cuda.set_sync_debug_mode("error")
            self.checked += 1

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        torch.cuda.set_sync_debug_mode("default")


@pytest.mark.parametrize(
    "setup", [(), ("task=flare", "task.adversarial=true", "data.scene_size=64")]
)
def test_training_steps_do_not_synchronise_with_the_host(setup, make_cfg) -> None:
    cfg = make_cfg(*GPU, *setup, "train=false", "trainer.log_every_n_steps=4")
    cfg.data.train_samples_per_epoch = 48
    trainer, task = train(cfg)
    check = NoSyncInSteps()
    trainer.callbacks.append(check)
    try:
        trainer.fit(task, datamodule=build_datamodule(cfg))
    finally:
        torch.cuda.set_sync_debug_mode("default")
    assert check.checked >= 6


def test_validation_hints_are_the_same_on_cpu_and_cuda(make_cfg) -> None:
    cfg = make_cfg(*GPU)
    datamodule = build_datamodule(cfg)
    datamodule.setup("fit")
    batch = next(iter(datamodule.val_dataloader()))
    task = build_task(cfg)
    on_cpu = task.prepare_batch(batch, "val")
    on_cuda = task.cuda().prepare_batch({k: v.cuda() for k, v in batch.items()}, "val")
    assert torch.equal(on_cpu.extras["mask"], on_cuda.extras["mask"].cpu())
    assert torch.allclose(on_cpu.inputs, on_cuda.inputs.cpu(), atol=1e-5)


def test_compiled_channels_last_training_runs(make_cfg) -> None:
    trainer, task = train(
        make_cfg(
            *GPU,
            "optimization.compile=true",
            "optimization.channels_last=true",
            "+trainer.fast_dev_run=3",
        )
    )
    assert task.memory_format == torch.channels_last
    assert trainer.global_step == 3
    assert torch.isfinite(trainer.callback_metrics["val/psnr"])


def test_a_short_run_scores_on_cuda_as_on_cpu(tmp_path) -> None:
    """The same seed and data: the GPU's kernels differ, the score should not (within 1 dB)."""
    short = (*TINY, "trainer.max_epochs=3", "data.train_samples_per_epoch=64")
    cpu, _ = train(compose([*short, "trainer.accelerator=cpu"], output_dir=tmp_path / "cpu"))
    gpu, _ = train(compose([*short, *GPU], output_dir=tmp_path / "gpu"))
    cpu_psnr = float(cpu.callback_metrics["val/psnr"])
    gpu_psnr = float(gpu.callback_metrics["val/psnr"])
    assert abs(cpu_psnr - gpu_psnr) < 1.0, (cpu_psnr, gpu_psnr)


def test_a_killed_and_resumed_deterministic_run_is_the_uninterrupted_one(
    tmp_path, monkeypatch
) -> None:
    overrides = (*GPU, "trainer.deterministic=true", "data.num_workers=2")
    expected = train_run(tmp_path / "uninterrupted", overrides, monkeypatch)
    stopped = tmp_path / "stopped"
    assert train_run(stopped, overrides, monkeypatch, KillMidEpoch(step=3)) is None
    assert_same_training(train_run(stopped, overrides, monkeypatch), expected)
