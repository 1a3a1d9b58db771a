"""Guard against exploding or NaN losses: it judges each training loss and says what to do.

:class:`LossGuard` keeps the book (running median, streak, counts) on the host. The training
loop does not ask it about every step, which would wait for the device each step: it flags steps
on the device with :meth:`LossGuard.threshold` and hands the verdicts over in batches
(:mod:`.verdicts`), which :meth:`LossGuard.record` replays.
"""

from __future__ import annotations

import math
import statistics
from collections import deque
from typing import Literal

# ok: step as usual; skip: drop this step's gradients; reload: go back to the last good
# checkpoint with a lower learning rate; stop: end the run with the likely causes.
GuardAction = Literal["ok", "skip", "reload", "stop"]


class LossGuard:
    """Flags a training loss that is non-finite or ``spike_factor`` times above the running
    median of the last ``window`` good losses (once ``warmup`` good losses are known).

    :meth:`check` returns the action the training loop carries out: ``skip`` a flagged step (no
    optimizer step); after ``max_consecutive`` flagged steps in a row, ``on_persistent``:
    ``reload`` the last good checkpoint with the learning rate times ``lr_factor``, or ``stop``.
    """

    def __init__(
        self,
        spike_factor: float | None = 10.0,
        window: int = 100,
        warmup: int = 20,
        max_consecutive: int = 10,
        on_persistent: Literal["reload", "stop"] = "reload",
        lr_factor: float = 0.5,
    ) -> None:
        if spike_factor is not None and spike_factor <= 1:
            raise ValueError(f"safety.loss_guard.spike_factor must be > 1, got {spike_factor}.")
        if max_consecutive < 1 or window < 1 or warmup < 1:
            raise ValueError("safety.loss_guard: window, warmup and max_consecutive must be >= 1.")
        if on_persistent not in ("reload", "stop"):
            raise ValueError(
                f"safety.loss_guard.on_persistent must be reload or stop, got {on_persistent!r}."
            )
        if not 0 < lr_factor <= 1:
            raise ValueError(f"safety.loss_guard.lr_factor must be in (0, 1], got {lr_factor}.")
        self.spike_factor = spike_factor
        self.warmup = warmup
        self.max_consecutive = max_consecutive
        self.on_persistent = on_persistent
        self.lr_factor = lr_factor
        self.history: deque[float] = deque(maxlen=window)
        self.consecutive = 0
        self.skipped = 0
        self.last_reason = ""

    def threshold(self) -> float:
        """Losses above this are spikes (``inf`` while warming up or without a spike factor)."""
        if self.spike_factor is None or len(self.history) < self.warmup:
            return math.inf
        median = statistics.median(self.history)
        return self.spike_factor * median if median > 0 else math.inf

    def check(self, loss: float) -> GuardAction:
        """Judge ``loss`` against the current threshold and record the verdict."""
        return self.record(loss, flagged=not math.isfinite(loss) or loss > self.threshold())

    def record(self, loss: float, flagged: bool) -> GuardAction:
        """Book one step whose verdict was reached elsewhere (on the device, against the
        threshold of that time); return what to do now."""
        if not flagged:
            self.history.append(loss)
            self.consecutive = 0
            return "ok"
        self.last_reason = self._reason(loss)
        self.skipped += 1
        self.consecutive += 1
        if self.consecutive >= self.max_consecutive:
            self.consecutive = 0
            return self.on_persistent
        return "skip"

    def _reason(self, loss: float) -> str:
        if not math.isfinite(loss):
            return f"non-finite loss ({loss})"
        median = statistics.median(self.history) if self.history else math.nan
        return f"loss {loss:.4g} > {self.spike_factor:g} x running median {median:.4g}"

    def state_dict(self) -> dict:
        return {"history": list(self.history), "skipped": self.skipped}

    def load_state_dict(self, state: dict) -> None:
        self.history.extend(state.get("history", []))
        self.skipped = state.get("skipped", 0)


PERSISTENT_LOSS_HELP = (
    "Likely causes: a learning rate too high for this model (lower optimizer.lr, or add "
    "optimization.gradient_clip_val), a loss that does not fit the data (check loss=), or inputs "
    "outside the expected range (check data.root for corrupt or unusual images)."
)
