"""task=superres end to end: RDN and a UNet train on the built-in photos, previews show
bicubic | prediction | truth, and the metrics sit beside the bicubic baseline."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
import torchvision

from colorization.train import train


@pytest.mark.parametrize(
    "overrides",
    [
        ("model=rdn",),
        ("model=unet",),
        ("model=rdn", "task.scale=3", "model.upsample=transpose", "loss=psnr"),
    ],
    ids=["rdn", "unet", "rdn-x3-transpose-psnr"],
)
def test_fast_dev_run(make_cfg, overrides: tuple[str, ...]) -> None:
    trainer, _ = train(make_cfg("task=superres", "debug=fast_dev_run", *overrides))
    assert trainer.state.finished
    for name in ("val/psnr", "val/ssim", "val/psnr_rgb", "val/psnr_bicubic", "val/ssim_bicubic"):
        assert torch.isfinite(trainer.callback_metrics[name]), name


def test_an_epoch_writes_a_preview_of_bicubic_prediction_and_truth(make_cfg, tmp_path: Path):
    train(make_cfg("task=superres", "model=rdn", "callbacks.image_preview.num_images=2"))
    grid = torchvision.io.decode_image(str(tmp_path / "previews" / "epoch_000.png"))
    # two rows of three 32 px panels (the built-in validation views at data.image_size)
    assert grid.shape == (3, 2 * 34 + 2, 3 * 34 + 2)
