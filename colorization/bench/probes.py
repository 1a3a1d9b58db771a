"""Measuring instruments: device peak, FLOPs of a training step, peak memory, data wait,
step times."""

from __future__ import annotations

import itertools
import resource
import statistics
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import torch
from torch.utils.flop_counter import FlopCounterMode

MIB = 2**20
SYNC_EVERY = 5  # timed steps between two waits for a GPU (StepClock)


def synchronize(device: torch.device) -> None:
    """Wait for queued device work, so wall-clock timings cover it (a no-op on CPU)."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def matmul_peak_gflops(
    device: torch.device,
    dtype: torch.dtype,
    size: int | None = None,
    repeats: int = 10,
    budget_seconds: float = 10.0,
) -> float:
    """Achieved GFLOP/s of a large square matmul: the practical ceiling of dense compute.

    Within ``budget_seconds``: the matrix grows from 256 to ``size`` only while a product
    stays well inside the budget, so a type the processor has no units for (bf16 on many
    CPUs: minutes per 2048 product) is measured small and fast instead of for minutes."""
    largest = size or (8192 if device.type == "cuda" else 2048)
    side, seconds = min(256, largest), 0.0
    while True:
        a = torch.randn(side, side, device=device).to(dtype)
        b = torch.randn(side, side, device=device).to(dtype)
        a @ b  # warm-up
        synchronize(device)
        start = time.perf_counter()
        a @ b
        synchronize(device)
        seconds = time.perf_counter() - start
        if side >= largest or seconds * 8 * (repeats + 1) > budget_seconds:
            break
        side = min(side * 2, largest)
    repeats = max(1, min(repeats, int(budget_seconds / max(seconds, 1e-9)) - 1))
    synchronize(device)
    start = time.perf_counter()
    for _ in range(repeats):
        a @ b
    synchronize(device)
    return 2 * side**3 * repeats / (time.perf_counter() - start) / 1e9


def train_step_gflops(step: Callable[[], Any]) -> float:
    """GFLOPs of one call of ``step`` (forward and backward), by torch's FLOP counter."""
    with FlopCounterMode(display=False) as counter:
        step()
    return counter.get_total_flops() / 1e9


def _current_rss_bytes() -> int | None:
    """Resident memory of this process from /proc (Linux); ``None`` elsewhere."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
    except (OSError, IndexError, ValueError):
        return None
    return pages * resource.getpagesize()


def _status_kib(field: str) -> int | None:
    """A ``kB`` field of /proc/self/status (Linux: ``VmRSS``, ``VmHWM``), or None."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return None


def reset_peak_rss() -> bool:
    """Reset this process's peak resident set size (``VmHWM``) to its current size, as Linux
    allows through /proc/self/clear_refs; False where it cannot."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return _status_kib("VmHWM") is not None


class PeakMemory:
    """Peak memory a block of work adds, in MiB.

    CUDA: ``torch.cuda.max_memory_allocated`` above what was allocated on entry (tensors only).
    CPU on Linux: the kernel's peak resident set size (``VmHWM``), reset on entry, above the size
    on entry: nothing runs beside the work. Elsewhere: the resident size sampled every
    ``interval`` seconds by a thread (one that woke every 2 ms took about 25 ms of a 340 ms
    training step on 2 cores: docs/benchmark.md). Both include the
    allocator's caches and DataLoader buffers of this process, not of workers.
    """

    def __init__(self, device: torch.device, interval: float = 0.05) -> None:
        self.device = device
        self.interval = interval
        self.peak_mib = float("nan")
        self._stop = threading.Event()
        self._baseline = 0
        self._peak = 0
        self._thread: threading.Thread | None = None
        self._kernel_peak = False

    def __enter__(self) -> PeakMemory:
        if self.device.type == "cuda":
            torch.cuda.reset_peak_memory_stats(self.device)
            self._baseline = torch.cuda.memory_allocated(self.device)
            return self
        rss = _current_rss_bytes()
        if rss is None:  # no /proc: the process-lifetime peak is the best available
            self._baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
            return self
        self._baseline = self._peak = rss
        self._kernel_peak = reset_peak_rss()
        if not self._kernel_peak:
            self._thread = threading.Thread(target=self._sample, daemon=True)
            self._thread.start()
        return self

    def _sample(self) -> None:
        while not self._stop.wait(self.interval):
            self._peak = max(self._peak, _current_rss_bytes() or 0)

    def __exit__(self, *exc_info: object) -> None:
        if self.device.type == "cuda":
            peak = torch.cuda.max_memory_allocated(self.device)
        elif self._kernel_peak:
            peak = max((_status_kib("VmHWM") or 0) * 1024, _current_rss_bytes() or 0)
        elif self._thread is not None:
            self._stop.set()
            self._thread.join()
            peak = max(self._peak, _current_rss_bytes() or 0)
        else:
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        self.peak_mib = max(peak - self._baseline, 0) / MIB


class TimedBatches:
    """Wraps an iterable of batches and adds up the time spent waiting for the next one."""

    def __init__(self, batches: Iterable[Any]) -> None:
        self.batches = batches
        self.wait_seconds = 0.0

    def __len__(self) -> int:
        return len(self.batches)  # type: ignore[arg-type]

    def __iter__(self) -> Iterator[Any]:
        iterator = iter(self.batches)
        while True:
            start = time.perf_counter()
            try:
                batch = next(iterator)
            except StopIteration:
                return
            self.wait_seconds += time.perf_counter() - start
            yield batch


class BatchList(torch.utils.data.Dataset):
    """Ready-made batches served in order by a ``DataLoader(batch_size=None)``: the same data
    for every loop, with no loading cost inside the timed steps."""

    def __init__(self, batches: Sequence[Any], length: int) -> None:
        self.batches = list(batches)
        self.length = length

    def __len__(self) -> int:
        return self.length

    def __getitem__(self, index: int) -> Any:
        return self.batches[index % len(self.batches)]


class StepClock:
    """Step times after ``warmup``, and the time spent waiting for data within them.

    On a GPU the clock waits for the device only every ``sync_every`` steps: a wait after every
    step would hide what a loop gains by queuing the next step while the GPU still works (and
    what a loop loses by waiting itself). On a CPU nothing runs ahead, so every step is timed
    (``sync_every=1``). A step's time is its group's time divided by its steps, so everything
    between steps counts. Throughput comes from the median group: a VM's occasional stalls move
    the mean by several per cent between identical runs, the median barely.
    """

    def __init__(
        self, batches: TimedBatches, warmup: int, steps: int, sync_every: int = SYNC_EVERY
    ) -> None:
        if warmup < 1 or steps < 1:
            raise ValueError(f"Need at least 1 warm-up and 1 timed step, got {warmup}, {steps}.")
        self.batches, self.warmup, self.steps = batches, warmup, steps
        self.sync_every = sync_every
        self.done = 0
        self.ends: list[tuple[int, float]] = []  # (steps done, time) at each wait
        self.batch_sizes: list[int] = []
        self.wait_at_start = self.wait_at_end = 0.0

    @property
    def finished(self) -> bool:
        return self.done >= self.warmup + self.steps

    def step_done(self, batch: dict[str, torch.Tensor], device: torch.device) -> None:
        self.done += 1
        if self.done < self.warmup:
            return
        if self.done > self.warmup:
            self.batch_sizes.append(len(next(iter(batch.values()))))
        timed = self.done - self.warmup
        if timed % self.sync_every and not self.finished:
            return
        synchronize(device)
        self.ends.append((self.done, time.perf_counter()))
        if timed == 0:
            self.wait_at_start = self.batches.wait_seconds
        else:
            self.wait_at_end = self.batches.wait_seconds

    def durations(self) -> list[float]:
        """Seconds per step, one value per group of steps between two waits."""
        return [(t1 - t0) / (n1 - n0) for (n0, t0), (n1, t1) in itertools.pairwise(self.ends)]

    def median_step(self) -> float:
        return statistics.median(self.durations())

    def images_per_s(self) -> float:
        return statistics.median(self.batch_sizes) / self.median_step()

    def data_wait(self) -> float:
        total = self.ends[-1][1] - self.ends[0][1]
        return (self.wait_at_end - self.wait_at_start) / total
