"""The run's seed: configured, inherited by DDP ranks, drawn for seed=null, and on resume the
one the checkpoint recorded."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
import torch

from colorization.runs.resume import recorded_seed
from colorization.seeds import chosen_seed, derived_seed, run_seed


def test_the_run_seed_is_the_configured_one_or_an_inherited_or_drawn_one(monkeypatch) -> None:
    monkeypatch.delenv("PL_GLOBAL_SEED", raising=False)
    assert chosen_seed(5) == 5
    assert len({chosen_seed(None) for _ in range(3)}) > 1  # drawn
    monkeypatch.setenv("PL_GLOBAL_SEED", "17")
    assert chosen_seed(None) == 17 and run_seed() == 17  # a DDP rank takes its launcher's


def test_a_resumed_run_keeps_the_seed_its_checkpoint_recorded(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    torch.save({"step_seed": 1234, "state_dict": {}}, tmp_path / "new.ckpt")
    torch.save({"state_dict": {}}, tmp_path / "old.ckpt")  # before 1.7: none recorded
    assert recorded_seed(tmp_path / "new.ckpt") == 1234
    assert recorded_seed(tmp_path / "old.ckpt") is None
    assert chosen_seed(None, 1234) == 1234 and chosen_seed(5, None) == 5
    with caplog.at_level(logging.WARNING):
        assert chosen_seed(5, 1234) == 1234
    assert "resumes with the seed it began with, 1234" in caplog.text


def test_derived_seeds_are_stable_and_distinct() -> None:
    assert derived_seed(42, "step", 0, 1, 0) == derived_seed(42, "step", 0, 1, 0)
    assert derived_seed(42, "step", 0, 1, 0) != derived_seed(42, "step", 0, 1, 1)
    assert 0 <= derived_seed("any", "thing") < 2**63
