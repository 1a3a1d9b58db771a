"""The options that make the default path fast: memory format, compilation, AMP backward."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from colorization.config import validate_config
from colorization.data.colorization.hints import RandomPixelHints
from colorization.hardware import resolve_channels_last
from colorization.models import UNet
from colorization.tasks import ColorizationTask
from colorization.build import optimization_options, trainer_config
from colorization.train import train


def make_task(**options) -> ColorizationTask:
    torch.manual_seed(0)
    net = UNet(in_channels=4, out_channels=2, base_width=4, depth=2)
    return ColorizationTask(net, nn.L1Loss(), torch.optim.Adam, hints=RandomPixelHints(), **options)


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


def test_channels_last_task_matches_the_nchw_task() -> None:
    nchw, nhwc = make_task(), make_task(channels_last=True)
    nhwc.load_state_dict(nchw.state_dict())
    conv = next(
        m for m in nhwc.net.modules() if isinstance(m, nn.Conv2d) and m.kernel_size == (3, 3)
    )
    assert conv.weight.is_contiguous(memory_format=torch.channels_last)
    inputs = torch.randn(2, 4, 20, 28)
    nchw.eval(), nhwc.eval()
    with torch.no_grad():
        torch.testing.assert_close(nhwc(inputs), nchw(inputs), atol=1e-5, rtol=1e-4)


def test_channels_last_gradients_match_the_nchw_ones() -> None:
    nchw, nhwc = make_task(), make_task(channels_last=True)
    nhwc.load_state_dict(nchw.state_dict())
    inputs, target = torch.randn(2, 4, 16, 16), torch.randn(2, 2, 16, 16)
    for task in (nchw, nhwc):
        nn.functional.l1_loss(task(inputs), target).backward()
    for (name, a), (_, b) in zip(nchw.named_parameters(), nhwc.named_parameters(), strict=True):
        torch.testing.assert_close(b.grad, a.grad, atol=1e-5, rtol=1e-3, msg=name)


def test_trainer_options_reach_the_task_resolved(make_cfg) -> None:
    cfg = make_cfg()
    options, trainer_cfg = optimization_options(cfg), trainer_config(cfg)
    assert options["channels_last"] is True and options["compile"] is False
    assert "channels_last" not in trainer_cfg and "compile" not in trainer_cfg
    options = optimization_options(make_cfg("optimization.channels_last=false"))
    assert options["channels_last"] is False


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("optimization.compile=yes", "optimization.compile=yes"),
        ("optimization.channels_last=nhwc", "optimization.channels_last=nhwc"),
    ],
)
def test_invalid_speed_options_fail_at_start(make_cfg, override: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        validate_config(make_cfg(override))


def test_compiled_network_keeps_checkpoint_keys() -> None:
    plain, compiled = make_task(), make_task(compile=True)
    assert list(compiled.state_dict()) == list(plain.state_dict())


def test_training_with_compile_and_channels_last(make_cfg) -> None:
    """torch.compile through the real training path (inductor on CPU here, CUDA for users)."""
    trainer, task = train(
        make_cfg(
            "optimization.compile=true",
            "optimization.channels_last=true",
            "+trainer.fast_dev_run=1",
        )
    )
    assert trainer.global_step == 1
    assert torch.isfinite(trainer.callback_metrics["val/psnr"])


def test_backward_runs_outside_autocast(monkeypatch) -> None:
    """Lightning runs the training step inside autocast; the task's backward must not be."""
    task = make_task()
    seen: list[bool] = []
    monkeypatch.setattr(
        task, "manual_backward", lambda loss: seen.append(torch.is_autocast_enabled("cpu"))
    )
    batch = {"image": torch.randint(0, 255, (2, 3, 16, 16), dtype=torch.uint8)}
    with torch.autocast("cpu", dtype=torch.bfloat16):
        task._backward_in_chunks(batch, micro_batch=1)
    assert seen == [False, False]
