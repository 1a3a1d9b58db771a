"""Choices that depend on the machine: numeric precision, TF32 and memory format.

Each choice is a pure function of the device's capabilities (``auto_precision``,
``float32_matmul_precision``), unit-tested with made-up capabilities; the ``resolve_*`` and
``configure_*`` functions ask the machine and apply them.
"""

from __future__ import annotations

import functools
import json
import os
import platform
import time
from pathlib import Path

import torch
from torch import nn

# Ampere (compute capability 8.0) and newer: bf16 and TF32 tensor cores.
AMPERE = (8, 0)


def cpu_supports_bf16() -> bool:
    """True where bf16 autocast trains faster than fp32 on this CPU: with AMX tiles, or where a
    measurement (:func:`cpu_bf16_speedup`) finds it at least ``BF16_MIN_SPEEDUP`` faster.

    CPU flags alone do not tell: two CPUs with AVX512-BF16 and no AMX differed in both directions
    (a Xeon trained a UNet 0.7x as fast in bf16, an EPYC 1.8x as fast: docs/benchmark.md).
    """
    if getattr(torch.cpu, "_is_amx_tile_supported", lambda: False)():
        return True
    return cpu_bf16_speedup() >= BF16_MIN_SPEEDUP


# bf16 must beat fp32 by this factor to be chosen (a margin over timing noise).
BF16_MIN_SPEEDUP = 1.2


@functools.cache
def cpu_bf16_speedup() -> float:
    """How much faster bf16 autocast trains than fp32 on this CPU: measured once per machine and
    torch version (:func:`measure_cpu_bf16_speedup`), then read from the user's cache folder."""
    cache = cache_dir() / "cpu_bf16_speedup.json"
    key = f"{cpu_model()} | torch {torch.__version__}"
    try:
        known = json.loads(cache.read_text())
    except (OSError, ValueError):
        known = {}
    if isinstance(known, dict) and isinstance(known.get(key), float):
        return known[key]
    speedup = measure_cpu_bf16_speedup()
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        cache.write_text(json.dumps({**known, key: speedup}, indent=1))
    except OSError:
        pass  # a read-only home: measured again next time
    return speedup


def measure_cpu_bf16_speedup(repeats: int = 5) -> float:
    """fp32 time / bf16-autocast time of a forward and backward pass through a UNet level (two
    3x3 convolutions with batch norm and ReLU, 32 channels, 4 x 64 x 64, channels-last).

    On one thread, fp32 and bf16 passes interleaved, the fastest of ``repeats`` each: other
    work on the machine only ever adds time, and interleaving spreads it over both. About 0.7 s.
    Its random layers and input leave torch's generator as they found it: a run that measures
    initialises its model as a run that reads the measurement does.
    """
    with torch.random.fork_rng(devices=[]):
        return _measured_cpu_bf16_speedup(repeats)


def _measured_cpu_bf16_speedup(repeats: int) -> float:
    width = 32
    level = nn.Sequential(
        *(
            layer
            for _ in range(2)
            for layer in (nn.Conv2d(width, width, 3, padding=1), nn.BatchNorm2d(width), nn.ReLU())
        )
    ).to(memory_format=torch.channels_last)
    image = torch.randn(4, width, 64, 64).to(memory_format=torch.channels_last)

    def seconds(bf16: bool) -> float:
        start = time.perf_counter()
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            output = level(image)
        output.float().square().mean().backward()
        return time.perf_counter() - start

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        seconds(bf16=False), seconds(bf16=True)  # the first passes set up oneDNN's kernels
        times = [(seconds(bf16=False), seconds(bf16=True)) for _ in range(repeats)]
    finally:
        torch.set_num_threads(threads)
    return min(fp32 for fp32, _ in times) / min(bf16 for _, bf16 in times)


def cache_dir() -> Path:
    """Where measurements of this machine are kept: ``$XDG_CACHE_HOME/colorization`` (default
    ``~/.cache/colorization``)."""
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "colorization"


def cpu_model() -> str:
    """The CPU's model name (``/proc/cpuinfo``), else what the platform module says."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def cuda_capability(accelerator: str = "auto") -> tuple[int, int] | None:
    """The compute capability of the CUDA device a run with ``accelerator`` uses, else None."""
    if accelerator not in ("auto", "gpu", "cuda") or not torch.cuda.is_available():
        return None
    return tuple(torch.cuda.get_device_capability())


def auto_precision(capability: tuple[int, int] | None, cpu_bf16: bool) -> str:
    """What ``precision: auto`` means on a device.

    CUDA from Ampere on: ``bf16-mixed`` (fp32's exponent range, so no loss scaling: no
    ``GradScaler``, no overflow-skipped steps, no host read per step). Older CUDA cards:
    ``16-mixed``. CPU: ``bf16-mixed`` where it is faster (``cpu_bf16``, from
    :func:`cpu_supports_bf16`), else ``32-true``.
    """
    if capability is not None:
        return "bf16-mixed" if capability >= AMPERE else "16-mixed"
    return "bf16-mixed" if cpu_bf16 else "32-true"


def resolve_precision(precision: str | int, accelerator: str = "auto") -> str | int:
    """``precision`` with ``auto`` replaced by :func:`auto_precision` for this machine."""
    if str(precision) != "auto":
        return precision
    capability = cuda_capability(accelerator)
    # The CPU is measured only where it decides: a CUDA run never pays for the probe.
    cpu_bf16 = capability is None and accelerator in ("auto", "cpu") and cpu_supports_bf16()
    return auto_precision(capability, cpu_bf16)


def float32_matmul_precision(capability: tuple[int, int] | None) -> str:
    """``high`` (fp32 matrix products and convolutions on TF32 tensor cores) from Ampere on,
    where it is several times faster at a precision ample for training; else ``highest``."""
    return "high" if capability is not None and capability >= AMPERE else "highest"


def configure_float32_math(accelerator: str = "auto") -> str:
    """Apply :func:`float32_matmul_precision` for this machine (torch's global setting, for
    the fp32 parts of mixed-precision runs too); return the setting."""
    setting = float32_matmul_precision(cuda_capability(accelerator))
    torch.set_float32_matmul_precision(setting)  # cuDNN convolutions use TF32 by default
    return setting


def resolve_channels_last(setting: bool | str, accelerator: str = "auto") -> bool:
    """``auto``: channels-last on CPU (oneDNN) and CUDA (cuDNN tensor cores), not on MPS.

    Measured with ``python -m colorization.bench``: see docs/benchmark.md.
    """
    if isinstance(setting, bool):
        return setting
    if str(setting) != "auto":
        raise ValueError(
            f"optimization.channels_last must be true, false or auto, got {setting!r}."
        )
    if accelerator == "mps":
        return False
    picks_mps = not torch.cuda.is_available() and torch.backends.mps.is_available()
    return not (accelerator == "auto" and picks_mps)


def keeps_gradients_until_backward(device: torch.device) -> bool:
    """Whether a step's gradients stay until the next backward pass instead of being freed
    right after the optimizer step.

    On an accelerator they are freed at once, so the next forward pass has the memory (the
    caching allocator hands the freed blocks straight back). On a CPU they stay: glibc's malloc
    returns large freed blocks to the system, and the next forward pass would pay a page fault
    for every fresh page (the order of a hand-written ``forward, zero_grad, backward, step``
    loop; docs/benchmark.md measures the difference)."""
    return device.type == "cpu"


def auto_num_workers(cores: int) -> int:
    """Loader workers for ``cores`` usable CPU cores: one core left to the training process,
    at least 2 (so loading overlaps a step even on 2 cores), at most 8 (beyond that, workers
    mostly add start-up time and memory for these small crops)."""
    return max(2, min(8, cores - 1))


def resolve_num_workers(setting: int | str) -> int:
    """``data.num_workers``, with ``auto`` replaced by :func:`auto_num_workers` for the cores
    this process may use."""
    if setting != "auto":
        return int(setting)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return auto_num_workers(cores or 1)
