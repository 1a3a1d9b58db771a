"""colorization.training.optimization: micro-batches, memory format, compile, backward outside
autocast."""

from __future__ import annotations

import pytest
import pytorch_lightning as pl
import torch
from helpers import task_settings
from torch import nn
from torch.utils.data import DataLoader

from colorization.data.colorization.hints import RandomPixelHints
from colorization.hardware import keeps_gradients_until_backward
from colorization.models import UNet
from colorization.tasks import ColorizationTask


def make_task(**options) -> ColorizationTask:
    torch.manual_seed(0)
    net = UNet(in_channels=4, out_channels=2, base_width=4, depth=2)
    return ColorizationTask(
        net,
        nn.L1Loss(),
        torch.optim.Adam,
        hints=RandomPixelHints(),
        **task_settings("colorization", **options),
    )


def test_micro_batches_give_the_gradient_of_the_whole_batch() -> None:
    torch.manual_seed(0)
    net = UNet(4, 2, base_width=4, depth=2, norm="none")  # no batch statistics involved

    def fixed_hints(ab: torch.Tensor, generators=None) -> tuple[torch.Tensor, torch.Tensor]:
        mask = (ab[:, :1] > 0).to(ab.dtype)  # a function of the image only, not of the chunk
        return ab * mask, mask

    task = ColorizationTask(
        net, nn.L1Loss(), torch.optim.Adam, hints=fixed_hints, **task_settings("colorization")
    )
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


def test_channels_last_task_matches_the_nchw_task() -> None:
    nchw, nhwc = make_task(), make_task(channels_last=True)
    nhwc.load_state_dict(nchw.state_dict())
    conv = next(
        m for m in nhwc.net.modules() if isinstance(m, nn.Conv2d) and m.kernel_size == (3, 3)
    )
    assert conv.weight.is_contiguous(memory_format=torch.channels_last)
    inputs = torch.randn(2, 4, 20, 28)
    nchw.eval(), nhwc.eval()
    with torch.no_grad():
        torch.testing.assert_close(nhwc(inputs), nchw(inputs), atol=1e-5, rtol=1e-4)


def test_channels_last_gradients_match_the_nchw_ones() -> None:
    nchw, nhwc = make_task(), make_task(channels_last=True)
    nhwc.load_state_dict(nchw.state_dict())
    inputs, target = torch.randn(2, 4, 16, 16), torch.randn(2, 2, 16, 16)
    for task in (nchw, nhwc):
        nn.functional.l1_loss(task(inputs), target).backward()
    for (name, a), (_, b) in zip(nchw.named_parameters(), nhwc.named_parameters(), strict=True):
        torch.testing.assert_close(b.grad, a.grad, atol=1e-5, rtol=1e-3, msg=name)


def test_compiled_network_keeps_checkpoint_keys() -> None:
    plain, compiled = make_task(), make_task(compile=True)
    assert list(compiled.state_dict()) == list(plain.state_dict())


def test_backward_runs_outside_autocast(monkeypatch) -> None:
    """Lightning runs the training step inside autocast; the task's backward must not be."""
    task = make_task()
    seen: list[bool] = []
    monkeypatch.setattr(
        task, "manual_backward", lambda loss: seen.append(torch.is_autocast_enabled("cpu"))
    )
    batch = {"image": torch.randint(0, 255, (2, 3, 16, 16), dtype=torch.uint8)}
    with torch.autocast("cpu", dtype=torch.bfloat16):
        task._backward_in_chunks(batch, micro_batch=1)
    assert seen == [False, False]


class GradientWatch(pl.Callback):
    """Records, at each backward pass, whether the gradients start empty, and after each
    training batch whether they are held."""

    def __init__(self) -> None:
        self.empty_at_backward: list[bool] = []
        self.held_after_batch: list[bool] = []

    def on_before_backward(self, trainer, module, loss) -> None:
        self.empty_at_backward.append(all(p.grad is None for p in module.parameters()))

    def on_train_batch_end(self, trainer, module, outputs, batch, batch_idx) -> None:
        self.held_after_batch.append(any(p.grad is not None for p in module.parameters()))


def fit_on_photos(task, count: int, callback: pl.Callback, **trainer_options) -> pl.Trainer:
    """One epoch of ``task`` on ``count`` random 16 px photos in batches of 2, quietly."""
    images = torch.randint(0, 256, (count, 3, 16, 16), dtype=torch.uint8)
    loader = DataLoader([{"image": image} for image in images], batch_size=2)
    trainer = pl.Trainer(
        max_epochs=1,
        callbacks=[callback],
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        accelerator="cpu",
        **trainer_options,
    )
    trainer.fit(task, train_dataloaders=loader)
    return trainer


def test_each_optimizer_step_starts_from_fresh_gradients_and_training_ends_with_none() -> None:
    """On a CPU the gradients are freed just before the next cycle's first backward pass (not
    right after the step: docs/benchmark.md); accumulation still adds up within a cycle."""
    task = make_task(accumulate_grad_batches=2)
    watch = GradientWatch()
    fit_on_photos(task, 12, watch)
    assert watch.empty_at_backward == [True, False] * 3
    assert watch.held_after_batch == [True] * 6
    assert all(p.grad is None for p in task.parameters())


@pytest.mark.parametrize(("device", "kept"), [("cpu", True), ("cuda", False), ("mps", False)])
def test_only_a_cpu_keeps_gradients_until_the_next_backward(device: str, kept: bool) -> None:
    assert keeps_gradients_until_backward(torch.device(device)) is kept
