"""colorization.training.verdicts: losses flagged on the device, booked in the guard when read."""

from __future__ import annotations

import math

import pytest
import torch

from colorization.training.guard import LossGuard
from colorization.training.verdicts import MAX_PENDING, DeviceVerdicts


def judged(verdicts: DeviceVerdicts, losses: list[float], start: int = 0) -> list[bool]:
    return [
        bool(verdicts.judge(torch.tensor(value), step))
        for step, value in enumerate(losses, start=start)
    ]


def test_non_finite_losses_are_flagged_at_once_and_booked_when_read() -> None:
    guard = LossGuard(warmup=2, max_consecutive=5)
    verdicts = DeviceVerdicts(guard)
    assert judged(verdicts, [1.0, math.nan, 1.2, math.inf]) == [False, True, False, True]
    assert guard.skipped == 0 and not guard.history  # nothing read yet
    skipped, action = verdicts.read()
    assert action == "ok"
    assert [s.step for s in skipped] == [1, 3]
    assert "non-finite" in skipped[0].reason
    assert guard.skipped == 2 and list(guard.history) == pytest.approx([1.0, 1.2])
    assert verdicts.read() == ([], "ok")  # nothing pending


def test_the_spike_threshold_is_the_one_of_the_last_read() -> None:
    guard = LossGuard(spike_factor=5.0, warmup=3)
    verdicts = DeviceVerdicts(guard)
    assert judged(verdicts, [1.0, 1.0, 1.0, 50.0]) == [False] * 4  # still warming up
    verdicts.read()
    assert guard.threshold() == 5.0
    assert judged(verdicts, [4.0, 6.0], start=4) == [False, True]
    skipped, _ = verdicts.read()
    assert [s.step for s in skipped] == [5] and "running median" in skipped[0].reason


def test_a_streak_calls_for_the_persistent_action_once() -> None:
    guard = LossGuard(max_consecutive=2, on_persistent="stop")
    verdicts = DeviceVerdicts(guard)
    judged(verdicts, [math.nan] * 5)
    skipped, action = verdicts.read()
    assert action == "stop" and len(skipped) == 5


def test_reading_is_due_before_the_pending_list_grows_without_bound() -> None:
    verdicts = DeviceVerdicts(LossGuard())
    judged(verdicts, [1.0] * (MAX_PENDING - 1))
    assert not verdicts.due
    judged(verdicts, [1.0])
    assert verdicts.due
    verdicts.discard()
    assert not verdicts.due and verdicts.read() == ([], "ok")
