"""A run killed anywhere and started again ends as the run that was never stopped: the same
weights, optimizer and scheduler state, bit for bit, for every task, with 0 and 2 loader workers,
for a kill mid-epoch, during validation and during a checkpoint write, and for SIGTERM.

A kill is simulated in-process by an exception no handler catches (tests/run_stops.py);
tests/e2e/test_kill_and_resume.py does the same with a real ``kill -9`` of a training process.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import pytorch_lightning as pl
import torch
from helpers import FLARE, assert_same_training, write_images
from run_stops import (
    KillAtEpochStart,
    KillInCheckpointWrite,
    KillInValidation,
    KillMidEpoch,
    TermAt,
    TermAtBatch,
    train,
)

pytestmark = pytest.mark.slow

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
    # what CUDA runs need (docs/never-lose-work.md)
    "deterministic": ("trainer.deterministic=true",),
    "accumulation": ("optimization.accumulate_grad_batches=2",),
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
    "epoch-end": lambda: KillAtEpochStart(epoch=1),  # resumes from epoch 0's last checkpoint
    "validation": KillInValidation,  # resumes from step 4 (none is written at an epoch's end)
    "checkpoint-write": lambda: KillInCheckpointWrite(step=4),  # resumes from step 2
    "sigterm": lambda: TermAt(step=5),  # stops at step 5 with a checkpoint
    # with 2 batches a step: the signal comes after batch 5, the stop after batch 6 (a step)
    "sigterm-in-cycle": lambda: TermAtBatch(batches=5),
    "sigterm-at-epoch-end": lambda: TermAtBatch(batches=6),  # stops as epoch 1 begins
}
# (stop, loader workers, loader workers of the resumed run)
EVERY_STOP = [
    ("mid-epoch", 0, 0),
    ("mid-epoch-2", 2, 2),
    ("validation", 0, 0),
    ("checkpoint-write", 2, 2),
]
CASES = {
    "colorization": [
        *EVERY_STOP,
        ("epoch-end", 2, 2),
        ("sigterm", 0, 0),
        ("sigterm-at-epoch-end", 0, 0),
        ("mid-epoch", 2, 0),
    ],
    "segmentation": EVERY_STOP,
    "flare": EVERY_STOP,
    "superres": EVERY_STOP,
    "denoising": EVERY_STOP,
    "flare-pix2pix": [("mid-epoch", 0, 0), ("epoch-end", 0, 0), ("checkpoint-write", 2, 2)],
    "photo-folder": [("mid-epoch-2", 2, 2), ("validation", 0, 0)],
    # LitData resumes another number of workers in another order (a warning says so)
    "photo-store": [*EVERY_STOP[:3], ("epoch-end", 0, 0), ("sigterm", 0, 0)],
    "deterministic": [("mid-epoch-2", 2, 2)],
    "accumulation": [("sigterm-in-cycle", 0, 0), ("mid-epoch", 2, 2)],
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


def test_the_comparison_tells_runs_apart(
    tmp_path: Path, monkeypatch, uninterrupted: Callable[[str, int], dict]
) -> None:
    """The control: a run of another seed, or one resumed from a checkpoint without the loader's
    position and the step seed (as 1.6 wrote them: the epoch is drawn anew), is not the
    uninterrupted run."""
    expected = uninterrupted("colorization", 0)
    other_seed = train(tmp_path / "seed43", ("data.num_workers=0", "seed=43"), monkeypatch)
    with pytest.raises(AssertionError, match="differs"):
        assert_same_training(other_seed, expected)

    folder = tmp_path / "from_1_6"
    assert train(folder, ("data.num_workers=0",), monkeypatch, KillMidEpoch(step=3)) is None
    checkpoint = torch.load(folder / "checkpoints" / "last.ckpt", weights_only=True)
    del checkpoint["loops"]["fit_loop"]["state_dict"]["combined_loader"], checkpoint["step_seed"]
    del checkpoint["PhotoDataModule"]  # the DataModule's copy of the loader's position
    torch.save(checkpoint, folder / "checkpoints" / "last.ckpt")
    resumed = train(folder, ("data.num_workers=0",), monkeypatch)
    assert resumed["global_step"] == expected["global_step"]  # it trains on, from step 2
    with pytest.raises(AssertionError, match="differs"):
        assert_same_training(resumed, expected)
