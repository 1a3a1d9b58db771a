"""colorization.runs.interrupt: a launcher's requeue signal stops training, checkpoint first."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import types
from pathlib import Path

from colorization.runs.interrupt import GracefulStop, exit_with_launcher


class Connector:
    """Lightning's signal connector, as far as the stop uses it."""

    received_sigterm = False


def fake_trainer(module: object = None) -> types.SimpleNamespace:
    return types.SimpleNamespace(_signal_connector=Connector(), lightning_module=module)


def test_a_stop_inside_an_accumulation_cycle_waits_for_the_cycles_step() -> None:
    """A cycle's first gradients are in no checkpoint: stopping there would resume without them."""
    module = types.SimpleNamespace(open=True)
    module.in_accumulation_cycle = lambda: module.open
    trainer = fake_trainer(module)
    with GracefulStop(trainer) as stop:
        os.kill(os.getpid(), signal.SIGTERM)
        assert stop.received == signal.SIGTERM
        assert not trainer._signal_connector.received_sigterm  # what Lightning reads
        module.open = False  # the batch that stepped
        assert trainer._signal_connector.received_sigterm
    assert type(trainer._signal_connector) is Connector
    assert trainer._signal_connector.received_sigterm  # Lightning's own flag, as it was


def test_a_requeue_signal_stops_first_then_reaches_the_launchers_handler() -> None:
    """submitit requeues on SIGUSR2: during training, the signal asks for a stop (and a
    checkpoint); the launcher's handler gets it once training has stopped."""
    received: list[int] = []
    trainer = fake_trainer()
    previous = signal.signal(signal.SIGUSR2, lambda signum, frame: received.append(signum))
    try:
        with GracefulStop(trainer) as stop:
            os.kill(os.getpid(), signal.SIGUSR2)
            assert trainer._signal_connector.received_sigterm and not received
        assert stop.exit_code() == 128 + signal.SIGUSR2
        assert received == [signal.SIGUSR2]
    finally:
        signal.signal(signal.SIGUSR2, previous)


def test_without_a_launchers_handler_the_requeue_signal_is_left_alone() -> None:
    trainer = fake_trainer()
    assert signal.getsignal(signal.SIGUSR2) == signal.SIG_DFL
    with GracefulStop(trainer):
        assert signal.getsignal(signal.SIGUSR2) == signal.SIG_DFL


CHILD = """
import time
from pathlib import Path
from colorization.runs.interrupt import exit_with_launcher
exit_with_launcher()
Path({ready!r}).write_text("ready")
time.sleep(120)
"""

LAUNCHER = """
import os, subprocess, sys, time
child = subprocess.Popen([sys.executable, "-c", {child!r}], env={{**os.environ, "LOCAL_RANK": "1"}})
print(child.pid, flush=True)
time.sleep(120)
"""


def gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[-1].split()[0]
    except OSError:
        return True
    return state in ("Z", "X")  # exited, not yet reaped by whoever adopted it


def test_a_launched_rank_dies_with_its_launcher_even_after_kill_9(tmp_path: Path) -> None:
    """A DDP rank > 0 whose launcher (rank 0) is killed would otherwise wait in a collective
    until the process group times out (30 minutes)."""
    ready = tmp_path / "ready"
    code = LAUNCHER.format(child=CHILD.format(ready=str(ready)))
    launcher = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    child = int(launcher.stdout.readline())
    deadline = time.monotonic() + 60
    while not ready.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert ready.exists() and not gone(child)
    launcher.kill()
    launcher.wait()
    deadline = time.monotonic() + 10
    while not gone(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    if not gone(child):
        os.kill(child, signal.SIGKILL)
        raise AssertionError("the launched rank outlived its launcher")


def test_rank_0_and_single_processes_are_left_alone(monkeypatch) -> None:
    monkeypatch.delenv("LOCAL_RANK", raising=False)
    exit_with_launcher()  # nothing to do, and no exit
