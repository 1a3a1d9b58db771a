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


def test_a_cuda_run_does_not_measure_the_cpu(monkeypatch) -> None:
    def measured() -> bool:
        raise AssertionError("the CPU was measured for a CUDA run")

    monkeypatch.setattr("colorization.hardware.cpu_supports_bf16", measured)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "get_device_capability", lambda *_: (8, 0))
    assert resolve_precision("auto") == "bf16-mixed"
    assert resolve_precision("auto", "gpu") == "bf16-mixed"


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


def test_a_cpu_gets_bf16_only_where_it_measured_faster(monkeypatch) -> None:
    from colorization import hardware

    monkeypatch.setattr(torch.cpu, "_is_amx_tile_supported", lambda: False, raising=False)
    monkeypatch.setattr(hardware, "cpu_bf16_speedup", lambda: 1.8)  # an EPYC with AVX512-BF16
    assert hardware.cpu_supports_bf16()
    monkeypatch.setattr(hardware, "cpu_bf16_speedup", lambda: 0.7)  # a Xeon without AMX
    assert not hardware.cpu_supports_bf16()
    monkeypatch.setattr(hardware, "cpu_bf16_speedup", lambda: 1.1)  # within timing noise
    assert not hardware.cpu_supports_bf16()
    monkeypatch.setattr(torch.cpu, "_is_amx_tile_supported", lambda: True, raising=False)
    assert hardware.cpu_supports_bf16()  # AMX: no measurement needed


def test_the_bf16_measurement_times_real_passes() -> None:
    from colorization.hardware import measure_cpu_bf16_speedup

    threads = torch.get_num_threads()
    generator = torch.get_rng_state()
    assert 0.05 < measure_cpu_bf16_speedup(repeats=1) < 20
    assert torch.get_num_threads() == threads  # measured on one thread, then restored
    # a run that measures initialises its model as a run that reads the measurement does
    assert torch.equal(torch.get_rng_state(), generator)


def test_the_bf16_speedup_is_measured_once_per_machine(monkeypatch, tmp_path) -> None:
    from colorization import hardware

    measured: list[float] = []
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setattr(hardware, "measure_cpu_bf16_speedup", lambda: measured.append(1.7) or 1.7)
    hardware.cpu_bf16_speedup.cache_clear()
    try:
        assert hardware.cpu_bf16_speedup() == 1.7
        hardware.cpu_bf16_speedup.cache_clear()  # a new process
        assert hardware.cpu_bf16_speedup() == 1.7
        assert measured == [1.7]  # the second came from the cache file
        assert "torch" in (tmp_path / "colorization" / "cpu_bf16_speedup.json").read_text()
        (tmp_path / "colorization" / "cpu_bf16_speedup.json").write_text("not json")
        hardware.cpu_bf16_speedup.cache_clear()
        assert hardware.cpu_bf16_speedup() == 1.7 and len(measured) == 2  # measured again
    finally:
        hardware.cpu_bf16_speedup.cache_clear()
