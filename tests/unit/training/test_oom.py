"""colorization.training.oom: halving the micro-batch on out-of-memory errors."""

from __future__ import annotations

import pytest
import torch

from colorization.training.oom import OutOfMemoryRecovery


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
