"""The CUDA paths users get, on a real GPU: 16-mixed training, pix2pix under fp16 loss scaling,
and recovery from a real CUDA out-of-memory error.

The same code paths run on CPU in the rest of the suite (bf16/fp16 plugins, an injected OOM);
these tests add what only a GPU shows. Without CUDA they are skipped, with the reason listed in
pytest's summary: ``pytest -m gpu`` on a GPU machine runs them.
"""

from __future__ import annotations

import logging

import pytest
import torch

from colorization.build import build_datamodule
from colorization.train import train

pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA (run: pytest -m gpu)"),
]
GPU = ("trainer.accelerator=gpu",)


def test_default_run_trains_in_16_mixed_channels_last(make_cfg) -> None:
    trainer, task = train(make_cfg(*GPU, "+trainer.fast_dev_run=2"))
    assert trainer.precision == "16-mixed"
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
