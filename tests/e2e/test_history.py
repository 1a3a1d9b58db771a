"""history.csv: one row per validation, kept across a resume, with throughput and time."""

from __future__ import annotations

from pathlib import Path

import torch

from colorization.callbacks.history import batch_images, read_history
from colorization.train import train


def test_history_has_a_row_per_epoch_and_survives_a_resume(make_cfg, tmp_path: Path) -> None:
    train(make_cfg("trainer.max_epochs=2"))
    first = read_history(tmp_path / "history.csv")
    assert [row["epoch"] for row in first] == ["0", "1"]
    assert all(float(row["images_per_second"]) > 0 for row in first)
    assert float(first[1]["train_seconds"]) > float(first[0]["train_seconds"]) > 0
    assert {"val/psnr", "val/ssim", "val/loss", "step"} <= set(first[0])

    last = tmp_path / "checkpoints" / "last.ckpt"
    train(make_cfg("trainer.max_epochs=3", f"ckpt_path={last}"))

    rows = read_history(tmp_path / "history.csv")
    assert [row["epoch"] for row in rows] == ["0", "1", "2"]
    assert rows[:2] == first  # the epochs the checkpoint had finished are kept as they were
    assert float(rows[2]["train_seconds"]) > float(first[1]["train_seconds"])


def test_images_are_counted_from_the_first_tensor_of_a_batch() -> None:
    assert batch_images({"index": [1, 2], "image": torch.zeros(3, 1, 2, 2)}) == 3
    assert batch_images((torch.zeros(5, 2), torch.zeros(5))) == 5
    assert batch_images(torch.zeros(4, 3)) == 4
