"""colorization.training.guard: the loss guard's judgement and the action it returns."""

from __future__ import annotations

import math

import pytest

from colorization.training.guard import LossGuard


def test_guard_flags_nan_and_spikes_and_escalates() -> None:
    guard = LossGuard(spike_factor=5.0, window=10, warmup=3, max_consecutive=2)
    assert [guard.check(v) for v in (1.0, 1.1, 0.9)] == ["ok", "ok", "ok"]
    assert guard.check(math.nan) == "skip" and "non-finite" in guard.last_reason
    assert guard.check(50.0) == "reload" and "running median" in guard.last_reason
    assert guard.check(4.0) == "ok"  # below 5 x median: fine, and the streak resets
    assert guard.skipped == 2


def test_guard_rejects_bad_settings() -> None:
    with pytest.raises(ValueError, match="spike_factor"):
        LossGuard(spike_factor=0.5)
    with pytest.raises(ValueError, match="on_persistent"):
        LossGuard(on_persistent="ignore")  # type: ignore[arg-type]


def test_a_persistent_problem_returns_the_configured_action() -> None:
    for action in ("reload", "stop"):
        guard = LossGuard(max_consecutive=2, on_persistent=action)
        assert [guard.check(math.inf), guard.check(math.inf)] == ["skip", action]
