"""colorization.hardware: precision and memory format for this machine."""

from __future__ import annotations

import pytest
import torch

from colorization.hardware import resolve_channels_last, resolve_precision


def test_precision_auto(monkeypatch) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert resolve_precision("auto") == "16-mixed"
    assert resolve_precision("auto", "cpu") in ("bf16-mixed", "32-true")
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
