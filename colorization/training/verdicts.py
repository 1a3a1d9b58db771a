"""The loss guard's verdicts, reached on the device and read by the host in batches.

Reading a loss on the host (``loss.item()``) makes the host wait until the device has finished
the step, so it cannot queue the next one meanwhile: on a GPU, every step then starts with the
card idle. So each step is flagged on the device, against the guard's spike threshold as of the
last read, and a flagged step's update is vetoed there too (:mod:`.veto`). The host reads all
pending losses and verdicts in one transfer at Lightning's logging steps, at the end of an epoch
and before a checkpoint is written, and books them in the :class:`~.guard.LossGuard`, which
then says whether the run must go back to a checkpoint or stop.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import torch

from colorization.training.guard import GuardAction, LossGuard

log = logging.getLogger(__name__)

# Read at the latest after this many steps, whatever the logging interval.
MAX_PENDING = 256


@dataclass(frozen=True)
class SkippedStep:
    """A step the guard flagged, as booked: its global step and the guard's reason."""

    step: int
    reason: str


class DeviceVerdicts:
    """Flags losses on the device; books them in ``guard`` when :meth:`read`."""

    def __init__(self, guard: LossGuard) -> None:
        self.guard = guard
        self._threshold: torch.Tensor | None = None
        self._pending: list[tuple[int, torch.Tensor, torch.Tensor]] = []

    def judge(self, losses: torch.Tensor, step: int) -> torch.Tensor:
        """A 0-dim bool tensor on the device of ``losses`` (every rank's loss of this step, see
        :func:`.distributed.gather_losses`; one value in a single process): True if any loss is
        non-finite or above the spike threshold, so every rank vetoes the step alike. Nothing is
        read on the host."""
        losses = losses.detach().float().reshape(-1)
        if self._threshold is None or self._threshold.device != losses.device:
            # torch.full writes the value on the device: no host-to-device copy to wait for.
            self._threshold = torch.full((), self.guard.threshold(), device=losses.device)
        finite = torch.isfinite(losses)
        flagged = (~finite | (losses > self._threshold)).any()
        # What the guard books: the ranks' mean, or the worst loss when the step is flagged
        # (the sum, where one is not finite: NaN or inf as it came).
        worst = torch.where(finite.all(), losses.max(), losses.sum())
        booked = torch.where(flagged, worst, losses.mean())
        self._pending.append((step, booked, flagged))
        return flagged

    @property
    def due(self) -> bool:
        """Too many verdicts wait: read them now even if this is not a logging step."""
        return len(self._pending) >= MAX_PENDING

    def read(self) -> tuple[list[SkippedStep], GuardAction]:
        """Book every pending verdict (one device-to-host transfer); return the flagged steps
        and the first reload/stop action a streak of them called for ("ok" if none)."""
        if not self._pending:
            return [], "ok"
        steps = [step for step, _, _ in self._pending]
        pairs = torch.stack([torch.stack([loss, flag.float()]) for _, loss, flag in self._pending])
        self._pending.clear()
        skipped: list[SkippedStep] = []
        action: GuardAction = "ok"
        for step, (loss, flagged) in zip(steps, pairs.tolist(), strict=True):
            verdict = self.guard.record(loss, flagged=bool(flagged))
            if verdict != "ok":
                skipped.append(SkippedStep(step, self.guard.last_reason))
            if verdict in ("reload", "stop") and action == "ok":
                action = verdict
        self._threshold = torch.full((), self.guard.threshold(), device=pairs.device)
        return skipped, action

    def read_and_warn(self) -> GuardAction:
        """:meth:`read`, with a warning for each flagged step; the action it calls for."""
        skipped, action = self.read()
        total = self.guard.skipped
        for number, step in enumerate(skipped, start=total - len(skipped) + 1):
            log.warning(
                "Skipped the optimizer step at global step %d: %s (%d skipped so far).",
                step.step,
                step.reason,
                number,
            )
        return action

    def discard(self) -> None:
        """Forget pending verdicts (after going back to a checkpoint)."""
        self._pending.clear()
