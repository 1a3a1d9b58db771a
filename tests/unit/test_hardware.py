"""colorization.hardware: precision and memory format for this machine."""

from __future__ import annotations

import pytest
import torch

from colorization.hardware import (
    auto_precision,
    configure_float32_math,
    float32_matmul_precision,
    resolve_channels_last,
    resolve_precision,
)

CARDS = {"T4 (Turing)": (7, 5), "V100 (Volta)": (7, 0), "A100": (8, 0), "H100": (9, 0)}


@pytest.mark.parametrize(
    ("card", "expected"),
    [
        ("T4 (Turing)", "16-mixed"),
        ("V100 (Volta)", "16-mixed"),
        ("A100", "bf16-mixed"),
        ("H100", "bf16-mixed"),
    ],
)
def test_auto_precision_is_bf16_from_ampere_on_and_fp16_before(card, expected) -> None:
    assert auto_precision(CARDS[card], cpu_bf16=False) == expected
    assert auto_precision(CARDS[card], cpu_bf16=True) == expected  # the GPU decides


def test_auto_precision_on_cpu_is_bf16_only_with_amx() -> None:
    assert auto_precision(None, cpu_bf16=True) == "bf16-mixed"
    assert auto_precision(None, cpu_bf16=False) == "32-true"


def test_tf32_from_ampere_on_only() -> None:
    assert float32_matmul_precision(CARDS["A100"]) == "high"
    assert float32_matmul_precision(CARDS["H100"]) == "high"
    assert float32_matmul_precision(CARDS["V100 (Volta)"]) == "highest"
    assert float32_matmul_precision(None) == "highest"


def test_machine_queries_feed_the_choices(monkeypatch) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "get_device_capability", lambda *_: (9, 0))
    assert resolve_precision("auto") == "bf16-mixed"
    assert resolve_precision("auto", "gpu") == "bf16-mixed"
    monkeypatch.setattr(torch.cuda, "get_device_capability", lambda *_: (7, 5))
    assert resolve_precision("auto") == "16-mixed"
    assert resolve_precision("auto", "cpu") in ("bf16-mixed", "32-true")
    monkeypatch.setattr(torch.cuda, "get_device_capability", lambda *_: (8, 6))
    before = torch.get_float32_matmul_precision()
    try:
        assert configure_float32_math("gpu") == "high"
        assert torch.get_float32_matmul_precision() == "high"
        assert configure_float32_math("cpu") == "highest"  # a CPU run on a GPU machine
        assert torch.get_float32_matmul_precision() == "highest"
    finally:
        torch.set_float32_matmul_precision(before)


def test_precision_auto(monkeypatch) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr("colorization.hardware.cpu_supports_bf16", lambda: True)
    assert resolve_precision("auto") == "bf16-mixed"
    monkeypatch.setattr("colorization.hardware.cpu_supports_bf16", lambda: False)
    assert resolve_precision("auto") == "32-true"
    assert resolve_precision("16-mixed") == "16-mixed"


def test_channels_last_auto_is_on_for_cpu_and_cuda_off_for_mps(monkeypatch) -> None:
    assert resolve_channels_last("auto", "cpu") is True
    assert resolve_channels_last("auto", "gpu") is True
    assert resolve_channels_last("auto", "mps") is False
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: True)
    assert resolve_channels_last("auto", "auto") is False
    assert resolve_channels_last(False, "cpu") is False
    with pytest.raises(ValueError, match="optimization.channels_last must be true, false or auto"):
        resolve_channels_last("nhwc", "cpu")


def test_loader_workers_scale_with_the_cores_present() -> None:
    from colorization.hardware import auto_num_workers, resolve_num_workers

    assert [auto_num_workers(cores) for cores in (1, 2, 4, 9, 16, 64)] == [2, 2, 3, 8, 8, 8]
    assert resolve_num_workers(0) == 0 and resolve_num_workers(5) == 5
    assert 2 <= resolve_num_workers("auto") <= 8
