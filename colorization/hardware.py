"""Choices that depend on the machine: numeric precision and memory format."""

from __future__ import annotations

import torch


def cpu_supports_bf16() -> bool:
    """True where the CPU computes bf16 natively fast enough to gain from it: AMX tiles.

    AVX512-BF16 alone is not enough: on a CPU with it but without AMX, bf16 autocast trained a
    UNet slower than fp32 (docs/benchmark.md), so ``auto`` keeps 32-bit there.
    """
    return bool(getattr(torch.cpu, "_is_amx_tile_supported", lambda: False)())


def resolve_precision(precision: str | int, accelerator: str = "auto") -> str | int:
    """``auto``: 16-mixed on CUDA, bf16-mixed on a CPU with fast native bf16 (AMX), else 32."""
    if str(precision) != "auto":
        return precision
    uses_cuda = torch.cuda.is_available() and accelerator in ("auto", "gpu", "cuda")
    if uses_cuda:
        return "16-mixed"
    if accelerator in ("auto", "cpu") and cpu_supports_bf16():
        return "bf16-mixed"
    return "32-true"


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
