"""Measuring instruments: device peak, FLOPs of a training step, peak memory, data wait."""

from __future__ import annotations

import resource
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import torch
from torch.utils.flop_counter import FlopCounterMode

MIB = 2**20


def synchronize(device: torch.device) -> None:
    """Wait for queued device work, so wall-clock timings cover it (a no-op on CPU)."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def matmul_peak_gflops(
    device: torch.device, dtype: torch.dtype, size: int | None = None, repeats: int = 10
) -> float:
    """Achieved GFLOP/s of a large square matmul: the practical ceiling of dense compute."""
    size = size or (8192 if device.type == "cuda" else 2048)
    a = torch.randn(size, size, device=device).to(dtype)
    b = torch.randn(size, size, device=device).to(dtype)
    for _ in range(3):
        a @ b
    synchronize(device)
    start = time.perf_counter()
    for _ in range(repeats):
        a @ b
    synchronize(device)
    return 2 * size**3 * repeats / (time.perf_counter() - start) / 1e9


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


class PeakMemory:
    """Peak memory a block of work adds, in MiB.

    CUDA: ``torch.cuda.max_memory_allocated`` above what was allocated on entry (tensors only).
    CPU: peak resident set size above the size on entry, sampled every ``interval`` seconds
    (includes the allocator's caches and DataLoader buffers of this process, not of workers).
    """

    def __init__(self, device: torch.device, interval: float = 0.002) -> None:
        self.device = device
        self.interval = interval
        self.peak_mib = float("nan")
        self._stop = threading.Event()
        self._baseline = 0
        self._peak = 0
        self._thread: threading.Thread | None = None

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
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self) -> None:
        while not self._stop.wait(self.interval):
            self._peak = max(self._peak, _current_rss_bytes() or 0)

    def __exit__(self, *exc_info: object) -> None:
        if self.device.type == "cuda":
            peak = torch.cuda.max_memory_allocated(self.device)
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
