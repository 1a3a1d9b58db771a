"""model=smp end to end: an smp UNet starts from pretrained encoder weights (a local file: none
can be fetched here), trains with its encoder frozen for an epoch and at a tenth of the
learning rate after, resumes, and is then predicted with, exported and evaluated on a machine
that no longer has the weights (the checkpoint holds them)."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from helpers import FLARE, photo, predicted_by_torch_and_onnx, train_run_returning_task
from safetensors.torch import save_file

from colorization.evaluate import evaluate

TASKS = {
    "segmentation": ("task=segmentation", "data.val_samples=2"),
    "colorization": ("task=colorization",),
    "flare": FLARE,
}


def encoder_file(folder: Path) -> tuple[Path, dict[str, torch.Tensor]]:
    """Weights of timm's tiny test ResNet, standing in for downloaded ImageNet weights."""
    import timm

    torch.manual_seed(3)
    state = timm.create_model("test_resnet", pretrained=False).state_dict()
    folder.mkdir(parents=True, exist_ok=True)
    save_file(state, str(folder / "test_resnet.safetensors"))
    return folder / "test_resnet.safetensors", state


@pytest.mark.slow
@pytest.mark.parametrize("task", list(TASKS))
def test_pretrained_fine_tuning_resume_predict_export_evaluate(tmp_path: Path, task: str) -> None:
    weights, state = encoder_file(tmp_path / "weights")
    smp = (
        "model=smp",
        f"model.encoder_weights={weights}",
        "model.freeze_encoder_epochs=1",
        "model.encoder_lr_scale=0.1",
    )
    run = tmp_path / "run"
    trainer, first = train_run_returning_task(run, *TASKS[task], *smp)
    encoder = first.net.model.encoder.model.state_dict()
    same_shape = [k for k, v in encoder.items() if v.shape == state[k].shape]
    assert len(encoder) - len(same_shape) <= 1  # colorization's 4-channel stem, adapted by timm
    assert all(torch.equal(encoder[k], state[k]) for k in same_shape)  # frozen in epoch 1
    rest, scaled = trainer.optimizers[0].param_groups
    assert scaled["initial_lr"] == pytest.approx(rest["initial_lr"] * 0.1)  # the schedule's start

    last = run / "checkpoints" / "last.ckpt"
    again = (*TASKS[task], *smp, "trainer.max_epochs=2", f"ckpt_path={last}")
    resumed, task_after = train_run_returning_task(run, *again)
    assert resumed.current_epoch == 2
    moved = task_after.net.model.encoder.model.state_dict()
    assert any(not torch.equal(moved[k], state[k]) for k in same_shape)  # trained in epoch 2

    weights.unlink()  # another machine: the checkpoint brings the weights
    from_torch, from_onnx = predicted_by_torch_and_onnx(run, tmp_path, photo(37, 53))
    assert from_torch.shape[-2:] == (37, 53)
    assert (from_torch - from_onnx).abs().max() <= 1
    result = evaluate(run)
    assert result["metrics"]


@pytest.mark.slow
def test_missing_weights_stop_the_command_in_one_line(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    command = [
        sys.executable,
        "-m",
        "colorization.train",
        "task=segmentation",
        "model=smp",
        "model.encoder_weights=imagenet",
        f"hydra.run.dir={tmp_path}/run",
        "print_config=false",
    ]
    env = {**os.environ, "HF_HUB_CACHE": str(tmp_path / "hub"), "HF_HUB_OFFLINE": "1"}
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 2
    output = result.stdout + result.stderr
    lines = [line for line in output.splitlines() if "encoder_weights" in line]
    assert len(lines) == 1 and "Traceback" not in output
    assert f"Hugging Face cache {tmp_path / 'hub'}" in lines[0]
    assert not list((tmp_path / "run").glob("checkpoints/*.ckpt"))
