"""A run killed anywhere and started again ends as the run that was never stopped: the same
weights, optimizer and scheduler state, bit for bit, for every task, with 0 and 2 loader workers,
for a kill mid-epoch, during validation and during a checkpoint write, and for SIGTERM.

A kill is simulated in-process by an exception no handler catches (nothing is saved on the way
out, as with ``kill -9``); tests/e2e/test_kill_and_resume.py does the same with a real
``kill -9`` of a training process.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import pytorch_lightning as pl
import torch
from helpers import FLARE, tiny, write_images

import colorization.train as train_command
from colorization.build import build_trainer

pytestmark = pytest.mark.slow

# 6 batches an epoch, 2 epochs, last.ckpt every 2 steps, one validation batch.
RUN = (
    "data.train_samples_per_epoch=24",
    "trainer.max_epochs=2",
    "callbacks.last_checkpoint.every_n_train_steps=2",
    "+trainer.limit_val_batches=1",
    "callbacks.image_preview.num_images=1",
    "logger=csv",
    "~callbacks.progress_bar",
)
# Each task on its built-in data; colorization also from a folder of photos and from a photo
# store (streamed by LitData), and flare trained adversarially (pix2pix). "{data}": a folder of
# the module's data fixture.
SETUPS = {
    "colorization": (),
    "segmentation": ("task=segmentation", "data.val_samples=8"),
    "flare": FLARE,
    "superres": ("task=superres",),
    "denoising": ("task=denoising",),
    "flare-pix2pix": (*FLARE, "experiment=flare_pix2pix"),
    "photo-folder": ("data.root={data}/photos",),
    "photo-store": ("data=photos", "data.store={data}/store"),
}


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from colorization.prepare import prepare

    folder = tmp_path_factory.mktemp("data")
    write_images(folder / "photos", 24, size=(70, 50))
    prepare([str(folder / "photos")], folder / "store", short_side=48)
    return folder


def setup(name: str, data: Path) -> tuple[str, ...]:
    return tuple(override.replace("{data}", str(data)) for override in SETUPS[name])


class Killed(BaseException):
    """Ends training as ``kill -9`` does: not an Exception, so nothing handles it."""


class KillMidEpoch(pl.Callback):
    def __init__(self, step: int) -> None:
        self.step = step

    def on_train_batch_end(self, trainer: pl.Trainer, *args: Any) -> None:
        if trainer.global_step == self.step:
            raise Killed


class KillInValidation(pl.Callback):
    def on_validation_batch_start(self, trainer: pl.Trainer, *args: Any) -> None:
        if not trainer.sanity_checking:
            raise Killed


class KillInCheckpointWrite(pl.Callback):
    """The save at ``step`` dies half-way through writing its file."""

    def __init__(self, step: int) -> None:
        self.step = step

    def on_train_start(self, trainer: pl.Trainer, module: pl.LightningModule) -> None:
        io = trainer.strategy.checkpoint_io
        write = io.save_checkpoint

        def dying_write(checkpoint: dict, path: str, *args: Any, **kwargs: Any) -> None:
            if trainer.global_step >= self.step:
                Path(path).write_bytes(b"the first half of a checkpoint")
                raise Killed
            write(checkpoint, path, *args, **kwargs)

        io.save_checkpoint = dying_write


class TermAt(pl.Callback):
    """SIGTERM to this process at ``step``, as a cluster's scheduler sends it."""

    def __init__(self, step: int) -> None:
        self.step = step

    def on_train_batch_end(self, trainer: pl.Trainer, *args: Any) -> None:
        if trainer.global_step == self.step:
            os.kill(os.getpid(), signal.SIGTERM)


def train(
    folder: Path, overrides: tuple[str, ...], monkeypatch, stop: pl.Callback | None = None
) -> dict[str, Any] | None:
    """Train the named run ``folder`` (resuming it if it has checkpoints); its last.ckpt, or
    ``None`` where ``stop`` ended it."""
    from colorization.config import compose

    def with_stop(cfg: Any, extra: Any = ()) -> Any:
        trainer, loggers = build_trainer(cfg, extra)
        if stop is not None:
            trainer.callbacks.append(stop)
        return trainer, loggers

    monkeypatch.setattr(train_command, "build_trainer", with_stop)
    arguments = [*tiny(overrides), *RUN, f"run_name={folder.name}", *overrides]
    try:
        train_command.train(compose(arguments, output_dir=folder))
    except (Killed, SystemExit):
        assert stop is not None
        return None
    return torch.load(folder / "checkpoints" / "last.ckpt", weights_only=True)


def assert_same_training(resumed: dict[str, Any], uninterrupted: dict[str, Any]) -> None:
    """Bitwise: every weight and buffer, every optimizer moment, the schedulers, the step."""
    assert (resumed["epoch"], resumed["global_step"]) == (
        uninterrupted["epoch"],
        uninterrupted["global_step"],
    )
    for key in ("state_dict", "optimizer_states", "lr_schedulers"):
        assert_equal(resumed[key], uninterrupted[key], key)


def assert_equal(first: Any, second: Any, where: str) -> None:
    if isinstance(first, torch.Tensor):
        assert torch.equal(first, second), f"{where} differs"
    elif isinstance(first, dict):
        assert first.keys() == second.keys(), where
        for key in first:
            assert_equal(first[key], second[key], f"{where}.{key}")
    elif isinstance(first, list | tuple):
        assert len(first) == len(second), where
        for index, (a, b) in enumerate(zip(first, second, strict=True)):
            assert_equal(a, b, f"{where}[{index}]")
    else:
        assert first == second, f"{where}: {first!r} != {second!r}"


@pytest.fixture(scope="module")
def uninterrupted(
    tmp_path_factory: pytest.TempPathFactory, data: Path
) -> Callable[[str, int], dict]:
    """Each setup's run that was never stopped, trained once: with no loader workers, except
    for the photo store, whose order LitData makes per worker (so, with ``workers``)."""
    done: dict[tuple[str, int], dict] = {}

    def of(name: str, workers: int) -> dict:
        workers = workers if name == "photo-store" else 0
        if (name, workers) not in done:
            with pytest.MonkeyPatch.context() as patch:
                folder = tmp_path_factory.mktemp(name) / "uninterrupted"
                overrides = (*setup(name, data), f"data.num_workers={workers}")
                done[name, workers] = train(folder, overrides, patch)
        return done[name, workers]

    return of


STOPS: dict[str, Callable[[], pl.Callback]] = {
    "mid-epoch": lambda: KillMidEpoch(step=3),  # resumes from step 2, in epoch 0
    "mid-epoch-2": lambda: KillMidEpoch(step=9),  # resumes from step 8, in epoch 1
    "validation": KillInValidation,  # resumes from step 4 (none is written at an epoch's end)
    "checkpoint-write": lambda: KillInCheckpointWrite(step=4),  # resumes from step 2
    "sigterm": lambda: TermAt(step=5),  # stops at step 5 with a checkpoint
}
# (stop, loader workers, loader workers of the resumed run)
EVERY_STOP = [
    ("mid-epoch", 0, 0),
    ("mid-epoch-2", 2, 2),
    ("validation", 0, 0),
    ("checkpoint-write", 2, 2),
]
CASES = {
    "colorization": [*EVERY_STOP, ("sigterm", 0, 0), ("mid-epoch", 2, 0)],
    "segmentation": EVERY_STOP,
    "flare": EVERY_STOP,
    "superres": EVERY_STOP,
    "denoising": EVERY_STOP,
    "flare-pix2pix": [("mid-epoch", 0, 0), ("checkpoint-write", 2, 2)],
    "photo-folder": [("mid-epoch-2", 2, 2), ("validation", 0, 0)],
    # LitData resumes another number of workers in another order (a warning says so)
    "photo-store": [*EVERY_STOP[:3], ("sigterm", 0, 0)],
}


@pytest.mark.parametrize(
    ("name", "stop", "workers", "resumed_workers"),
    [(name, *case) for name, cases in CASES.items() for case in cases],
)
def test_a_stopped_and_resumed_run_ends_as_the_uninterrupted_one(
    tmp_path: Path,
    monkeypatch,
    data: Path,
    uninterrupted: Callable[[str, int], dict],
    name: str,
    stop: str,
    workers: int,
    resumed_workers: int,
) -> None:
    folder = tmp_path / "stopped"
    overrides = setup(name, data)
    stopped = train(folder, (*overrides, f"data.num_workers={workers}"), monkeypatch, STOPS[stop]())
    assert stopped is None
    resumed = train(folder, (*overrides, f"data.num_workers={resumed_workers}"), monkeypatch)
    assert_same_training(resumed, uninterrupted(name, workers))
