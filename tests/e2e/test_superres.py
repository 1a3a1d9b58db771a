"""task=superres end to end: RDN and a UNet train on the built-in photos, previews show
bicubic | prediction | truth, and the metrics sit beside the bicubic baseline."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
import torchvision
from helpers import photo, predicted_by_torch_and_onnx, train_run
from PIL import Image

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


@pytest.mark.parametrize("model", ["rdn", pytest.param("unet", marks=pytest.mark.slow)])
def test_predict_and_export_super_resolve_photos_of_any_size(model: str, tmp_path: Path) -> None:
    """A UNet's exported graph holds the bicubic up-sampling it refines; RDN's its up-sampler."""
    tiles = ("task.tile_size=16", "task.tile_overlap=4")
    run = train_run(tmp_path / "run", "task=superres", f"model={model}", *tiles)
    from_torch, from_onnx = predicted_by_torch_and_onnx(run, tmp_path, photo(37, 53))
    assert from_torch.shape == (3, 74, 106)
    assert (from_torch - from_onnx).abs().max() <= 1


def test_div2k_pairs_train_with_their_own_low_resolution_images(make_cfg, tmp_path: Path) -> None:
    rng = torch.Generator().manual_seed(0)
    for index in range(4):
        high = torch.randint(0, 256, (3, 48, 40 + 2 * index), generator=rng, dtype=torch.uint8)
        low = high[:, ::2, ::2]
        for folder, image, name in (("HR", high, f"{index:04d}"), ("LR_bicubic/X2", low, None)):
            path = tmp_path / "div2k" / folder / f"{name or f'{index:04d}x2'}.png"
            path.parent.mkdir(parents=True, exist_ok=True)
            Image.fromarray(image.permute(1, 2, 0).numpy()).save(path)
    overrides = ("task=superres", "model=rdn", "data=div2k", f"data.root={tmp_path / 'div2k'}")
    trainer, _ = train(make_cfg(*overrides, "data.val_fraction=0.25", "debug=fast_dev_run"))
    assert trainer.state.finished and torch.isfinite(trainer.callback_metrics["val/psnr"])
