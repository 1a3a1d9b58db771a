"""No device-to-host read in a training step, except at Lightning's logging steps.

A read (``loss.item()``, ``float(t)``, ``if t:``, ``t.cpu()`` ...) makes the host wait until the
device has finished everything queued, so on a GPU the next step cannot be queued meanwhile. The
tests run real training steps with the default callbacks (progress bar included) and count every
such call on a tensor, attributing it to the step it happens in; reads by the data pipeline
(which runs on the CPU, in loader workers for users) are not device reads and are left out.
On CUDA, ``tests/e2e/test_gpu.py`` checks the same with ``torch.cuda.set_sync_debug_mode``.
"""

from __future__ import annotations

import collections
import traceback
from collections.abc import Iterator

import pytest
import pytorch_lightning as pl
import torch

from colorization.build import build_datamodule
from colorization.train import train

READS = ("item", "__float__", "__int__", "__bool__", "tolist", "cpu", "numpy", "nonzero")
LOG_EVERY = 4
STEPS = 12


class ReadCounter(pl.Callback):
    """Counts host reads per training step (by ``batch_idx``), from the first step's start to
    the last step's end; validation and epoch ends are not counted."""

    def __init__(self) -> None:
        self.step: int | None = None
        self.reads: collections.Counter[int] = collections.Counter()
        self.where: dict[int, list[str]] = collections.defaultdict(list)

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx) -> None:
        self.step = batch_idx

    def on_validation_start(self, trainer, pl_module) -> None:
        self.step = None

    def on_train_epoch_end(self, trainer, pl_module) -> None:
        self.step = None

    def record(self) -> None:
        if self.step is None:
            return
        stack = traceback.extract_stack()[:-2]
        if any("torch/utils/data/" in frame.filename for frame in stack):
            return  # the loader's dataset code, on CPU tensors
        self.reads[self.step] += 1
        self.where[self.step].append(f"{stack[-1].filename}:{stack[-1].lineno}")


@pytest.fixture
def counter(monkeypatch: pytest.MonkeyPatch) -> Iterator[ReadCounter]:
    counter = ReadCounter()
    for name in READS:
        original = getattr(torch.Tensor, name)

        def counted(self, *args, _original=original, **kwargs):
            counter.record()
            return _original(self, *args, **kwargs)

        monkeypatch.setattr(torch.Tensor, name, counted)
    yield counter


def logging_steps() -> set[int]:
    return {step for step in range(STEPS) if (step + 1) % LOG_EVERY == 0}


SETUPS = {
    "colorization": (),
    "accumulation_and_clipping": (
        "optimization.accumulate_grad_batches=2",
        "optimization.gradient_clip_val=1.0",
    ),
    "pix2pix_flare": ("task=flare", "task.adversarial=true", "data.scene_size=64"),
}


@pytest.mark.parametrize("setup", SETUPS.values(), ids=SETUPS.keys())
def test_training_steps_read_nothing_on_the_host_outside_logging_steps(
    setup, make_cfg, counter: ReadCounter
) -> None:
    cfg = make_cfg(
        *setup,
        "train=false",
        f"data.train_samples_per_epoch={4 * STEPS}",
        f"trainer.log_every_n_steps={LOG_EVERY}",
        "callbacks.last_checkpoint.every_n_train_steps=null",
    )
    trainer, task = train(cfg)
    trainer.callbacks.append(counter)
    trainer.fit(task, datamodule=build_datamodule(cfg))
    assert trainer.fit_loop.epoch_loop.batch_progress.total.completed == STEPS
    elsewhere = {step: counter.where[step] for step in counter.reads if step not in logging_steps()}
    assert not elsewhere, f"host reads outside logging steps: {elsewhere}"
    # The counter sees reads where they are due (the loggers', the guard's book): it works.
    assert all(counter.reads[step] > 0 for step in logging_steps())


def test_a_read_in_the_step_is_caught(make_cfg, counter: ReadCounter) -> None:
    """The counter is not blind: a task that reads its loss every step fails the check."""
    cfg = make_cfg("train=false", f"trainer.log_every_n_steps={LOG_EVERY}")
    trainer, task = train(cfg)
    original = task.backward_losses

    def reads_its_loss(prepared, weight):
        loss = original(prepared, weight)
        loss.item()  # what a training step must not do
        return loss

    task.backward_losses = reads_its_loss
    trainer.callbacks.append(counter)
    trainer.fit(task, datamodule=build_datamodule(cfg))
    assert counter.reads[0] > 0
