"""Choices that depend on the machine: numeric precision, TF32 and memory format.

Each choice is a pure function of the device's capabilities (``auto_precision``,
``float32_matmul_precision``), unit-tested with made-up capabilities; the ``resolve_*`` and
``configure_*`` functions ask the machine and apply them.
"""

from __future__ import annotations

import os

import torch

# Ampere (compute capability 8.0) and newer: bf16 and TF32 tensor cores.
AMPERE = (8, 0)


def cpu_supports_bf16() -> bool:
    """True where the CPU computes bf16 natively fast enough to gain from it: AMX tiles.

    AVX512-BF16 alone is not enough: on a CPU with it but without AMX, bf16 autocast trained a
    UNet slower than fp32 (docs/benchmark.md), so ``auto`` keeps 32-bit there.
    """
    return bool(getattr(torch.cpu, "_is_amx_tile_supported", lambda: False)())


def cuda_capability(accelerator: str = "auto") -> tuple[int, int] | None:
    """The compute capability of the CUDA device a run with ``accelerator`` uses, else None."""
    if accelerator not in ("auto", "gpu", "cuda") or not torch.cuda.is_available():
        return None
    return tuple(torch.cuda.get_device_capability())


def auto_precision(capability: tuple[int, int] | None, cpu_bf16: bool) -> str:
    """What ``precision: auto`` means on a device.

    CUDA from Ampere on: ``bf16-mixed`` (fp32's exponent range, so no loss scaling: no
    ``GradScaler``, no overflow-skipped steps, no host read per step). Older CUDA cards:
    ``16-mixed``. CPU: ``bf16-mixed`` only where AMX makes it faster, else ``32-true``.
    """
    if capability is not None:
        return "bf16-mixed" if capability >= AMPERE else "16-mixed"
    return "bf16-mixed" if cpu_bf16 else "32-true"


def resolve_precision(precision: str | int, accelerator: str = "auto") -> str | int:
    """``precision`` with ``auto`` replaced by :func:`auto_precision` for this machine."""
    if str(precision) != "auto":
        return precision
    cpu_bf16 = accelerator in ("auto", "cpu") and cpu_supports_bf16()
    return auto_precision(cuda_capability(accelerator), cpu_bf16)


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
