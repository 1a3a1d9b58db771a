"""Choices that depend on the machine: numeric precision."""

from __future__ import annotations

import torch


def cpu_supports_bf16() -> bool:
    """True where the CPU has native bf16 instructions (AVX512-BF16 or AMX)."""
    cpu = torch.cpu
    checks = ("_is_avx512_bf16_supported", "_is_amx_tile_supported")
    return any(getattr(cpu, name, lambda: False)() for name in checks)


def resolve_precision(precision: str | int, accelerator: str = "auto") -> str | int:
    """``auto``: 16-mixed on CUDA, bf16-mixed on a CPU with native bf16, else 32-bit."""
    if str(precision) != "auto":
        return precision
    uses_cuda = torch.cuda.is_available() and accelerator in ("auto", "gpu", "cuda")
    if uses_cuda:
        return "16-mixed"
    if accelerator in ("auto", "cpu") and cpu_supports_bf16():
        return "bf16-mixed"
    return "32-true"
