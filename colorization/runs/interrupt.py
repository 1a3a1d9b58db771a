"""SIGTERM and SIGINT stop training cleanly: at the next batch boundary (inside an accumulation
cycle: at the cycle's end), with a checkpoint.

What a scheduler (SLURM, ``docker stop``, a terminal's Ctrl-C) sends should not cost the work
done so far, nor look like success. While :class:`GracefulStop` is active, the first SIGTERM or
SIGINT asks Lightning's fit loop to stop at the next batch boundary (Lightning's own SIGTERM
mechanism, which SLURM's auto-requeue also builds on); the last-checkpoint callback then saves
``last.ckpt`` at that step and says how to resume, and :meth:`GracefulStop.exit_code` gives the
conventional ``128 + signal`` for the process to exit with. A second Ctrl-C interrupts at once.

On a cluster, a job about to be preempted or to reach its time limit gets a warning signal
first. Where a launcher has a Python handler for one (submitit, behind ``hydra/launcher=slurm``,
requeues the job on SIGUSR2), :class:`GracefulStop` takes that signal over as well: training
stops the same way, with its checkpoint, and only then is the signal handed to the launcher's
handler, which requeues the job; the requeued job resumes the named run.

DataLoader workers ignore both signals (:func:`colorization.data.base.ignore_stop_signals`):
a signal sent to the whole process group would otherwise kill them mid-epoch, and the main
process would fail with a worker traceback before it could save anything.
"""

from __future__ import annotations

import ctypes
import os
import signal
import threading
from types import FrameType

import pytorch_lightning as pl

from colorization.data.base import STOP_SIGNALS
from colorization.errors import is_no_room
from colorization.lightning_compat import act_on_stop_only_when, request_stop

# Signals a launcher may send before preempting a job (submitit: SIGUSR2), taken over only where
# the launcher installed a Python handler for them.
REQUEUE_SIGNALS = (signal.SIGUSR2,)
_PR_SET_PDEATHSIG = 1  # linux/prctl.h


def exit_with_launcher() -> None:
    """In a rank that Lightning's DDP launcher started (``LOCAL_RANK`` > 0, a child of rank 0's
    process): die when the launching process dies, even by ``kill -9``, instead of waiting in
    a collective until the process group times out (Linux; elsewhere nothing happens)."""
    if int(os.environ.get("LOCAL_RANK", "0") or 0) <= 0:
        return
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        return
    if os.getppid() == 1:  # the launcher was gone before the request took effect
        os._exit(1)


class GracefulStop:
    """``with GracefulStop(trainer) as stop: trainer.fit(...)``; ``stop.received`` is the
    signal that stopped training, if any."""

    def __init__(self, trainer: pl.Trainer) -> None:
        self.trainer = trainer
        self.received: int | None = None
        self._previous: dict[int, object] = {}

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.received == signal.SIGINT and signum == signal.SIGINT:
            raise KeyboardInterrupt  # a second Ctrl-C: stop now
        self.received = self.received or signum
        request_stop(self.trainer)

    def _between_steps(self) -> bool:
        """A stop inside an accumulation cycle waits for the cycle's optimizer step: the
        checkpoint then holds every batch the loader's position counts (a cycle's first
        gradients are not checkpointed), so the resumed run is the run it continues."""
        module = self.trainer.lightning_module
        return not getattr(module, "in_accumulation_cycle", lambda: False)()

    def _thread_failed(self, failure: threading.ExceptHookArgs) -> None:
        """A log writer's thread that finds the disk full: quiet here, the main thread reports
        it in one line when it next writes (TensorBoard re-raises it there)."""
        if failure.exc_value is not None and is_no_room(failure.exc_value):
            return
        self._previous_excepthook(failure)

    def __enter__(self) -> GracefulStop:
        act_on_stop_only_when(self.trainer, self._between_steps)
        self._previous_excepthook = threading.excepthook
        threading.excepthook = self._thread_failed
        requeue = [s for s in REQUEUE_SIGNALS if callable(signal.getsignal(s))]
        for signum in (*STOP_SIGNALS, *requeue):
            try:
                self._previous[signum] = signal.signal(signum, self._handle)
            except ValueError:  # not the main thread: leave the signals alone
                break
        return self

    def __exit__(self, *exc_info: object) -> None:
        act_on_stop_only_when(self.trainer, None)
        previous = self._previous
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        self._previous = {}
        threading.excepthook = self._previous_excepthook
        if self.received in REQUEUE_SIGNALS:  # stopped with a checkpoint: now let it requeue
            handler = previous.get(self.received)
            if callable(handler):
                handler(self.received, None)

    def exit_code(self) -> int | None:
        """``128 + signal`` once a signal stopped training (143 for SIGTERM, 130 for SIGINT)."""
        return None if self.received is None else 128 + int(self.received)
