"""colorization.callbacks.history: the throughput of the whole job, whatever the world size."""

from __future__ import annotations

import types
from pathlib import Path

import torch

from colorization.callbacks.history import EpochHistory, read_history


def test_images_per_second_count_every_rank(tmp_path: Path, monkeypatch) -> None:
    rates = []
    for world_size in (1, 2):
        history = EpochHistory(str(tmp_path / f"history{world_size}.csv"))
        trainer = types.SimpleNamespace(
            current_epoch=0,
            global_step=4,
            world_size=world_size,
            is_global_zero=True,
            sanity_checking=False,
            callback_metrics={"val/psnr": torch.tensor(20.0)},
        )
        clock = iter([0.0, 2.0])
        monkeypatch.setattr("time.perf_counter", clock.__next__)
        history.on_train_epoch_start(trainer, None)
        for _ in range(4):  # rank 0's batches: 4 x 4 images in 2 s
            history.on_train_batch_end(trainer, None, None, {"image": torch.zeros(4, 3, 8, 8)})
        history.on_validation_start(trainer, None)
        history.on_validation_end(trainer, None)
        rates.append(float(read_history(history.path)[0]["images_per_second"]))
    assert rates == [8.0, 16.0]


def test_a_resume_in_the_middle_of_an_epoch_counts_the_training_before_it(
    tmp_path: Path, monkeypatch
) -> None:
    """5 s of epoch 0 before a step checkpoint, a crash, then 3 s more after the resume: the
    epoch's row says 8 s (it said 3, or 0, when the seconds lived only in history.csv)."""
    trainer = types.SimpleNamespace(
        current_epoch=0,
        global_step=4,
        world_size=1,
        is_global_zero=True,
        sanity_checking=False,
        callback_metrics={"val/psnr": torch.tensor(20.0)},
    )
    now = [0.0]
    monkeypatch.setattr("time.perf_counter", lambda: now[0])
    first = EpochHistory(str(tmp_path / "history.csv"))
    first.on_train_start(trainer, None)
    first.on_train_epoch_start(trainer, None)
    now[0] = 5.0
    saved = first.state_dict()  # the step checkpoint

    now[0] = 100.0  # the next attempt, from that checkpoint
    resumed = EpochHistory(str(tmp_path / "history.csv"))
    resumed.load_state_dict(saved)
    resumed.on_train_start(trainer, None)
    now[0] = 103.0
    resumed.on_validation_start(trainer, None)
    resumed.on_validation_end(trainer, None)
    assert float(read_history(resumed.path)[0]["train_seconds"]) == 8.0
