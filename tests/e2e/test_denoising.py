"""task=denoising end to end: DnCNN and a UNet train on the built-in photos; evaluate tests
whole benchmark images at several noise levels beside non-local means; predict and export
denoise photos of any size; the report shows noisy | each run | clean."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
import torch
import torchvision
from helpers import photo, predicted_by_torch_and_onnx, train_run, write_image

from colorization.evaluate import evaluate
from colorization.models.zoo import model_names
from colorization.report.__main__ import report
from colorization.train import train


@pytest.mark.parametrize(
    "overrides",
    [
        ("model=dncnn",),
        ("model=unet", "task.sigma=[0,55]", "loss=l1"),
        ("model=dncnn", "task.channels=1", "task.residual=false", "task.clip=true"),
    ],
    ids=["dncnn", "unet-blind-l1", "dncnn-grey-direct-clipped"],
)
def test_fast_dev_run(make_cfg, overrides: tuple[str, ...]) -> None:
    trainer, _ = train(make_cfg("task=denoising", "debug=fast_dev_run", *overrides))
    assert trainer.state.finished
    for name in ("val/psnr", "val/ssim", "val/psnr_noisy", "val/ssim_noisy"):
        assert torch.isfinite(trainer.callback_metrics[name]), name


@pytest.mark.slow
@pytest.mark.parametrize("name", model_names())
def test_every_model_trains_a_step_on_grey_denoising(make_cfg, name: str) -> None:
    overrides = ("task=denoising", f"model={name}", "task.channels=1", "+trainer.fast_dev_run=1")
    trainer, _ = train(make_cfg(*overrides))
    assert trainer.global_step == 1
    assert torch.isfinite(trainer.callback_metrics["val/psnr"])


def metric(result: dict, setting: str, name: str) -> float:
    (value,) = [
        row["value"]
        for row in result["metrics"]
        if (row["setting"], row["metric"]) == (setting, name)
    ]
    return value


def test_evaluate_tests_whole_images_at_each_level_beside_non_local_means(tmp_path: Path) -> None:
    run = train_run(tmp_path / "run", "task=denoising", "model=dncnn")
    bench = tmp_path / "bench"
    for index, (height, width) in enumerate([(45, 61), (52, 38)]):
        write_image(bench / f"img{index}.png", photo(height, width, seed=index))
    result = evaluate(run, [f"data.test_root={bench}"], sigmas=(15.0, 50.0), denoisers=["nlm"])
    assert {row["setting"] for row in result["metrics"]} == {"sigma 15", "sigma 50"}
    assert {"psnr", "ssim", "psnr_noisy", "psnr_nlm", "ssim_nlm"} <= {
        row["metric"] for row in result["metrics"]
    }
    assert metric(result, "sigma 50", "psnr_noisy") < metric(result, "sigma 15", "psnr_noisy") - 8
    images = list(csv.DictReader((run / "evaluation_images.csv").open()))
    assert len(images) == 4  # two whole images at two levels
    assert {Path(row["image"]).name for row in images} == {"img0.png", "img1.png"}
    assert "white Gaussian noise" in result["protocol_note"]


@pytest.mark.slow
def test_two_models_side_by_side_in_the_report(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    for model in ("dncnn", "unet"):
        train_run(runs / model, "task=denoising", f"model={model}")
        evaluate(runs / model, sigmas=(15.0, 25.0, 50.0), denoisers=[])
    report([runs], images=2)
    figure = torchvision.io.decode_image(str(runs / "report" / "side_by_side.png"))
    assert figure.shape[2] > figure.shape[1]  # a row per image: noisy | 2 runs | clean
    rows = list(csv.DictReader((runs / "report" / "leaderboard.csv").open()))
    assert {row["model"] for row in rows} == {"DnCNN", "UNet"}
    levels = [f"test psnr @sigma{sigma}" for sigma in (15, 25, 50)]  # 1.4 kept only sigma 50
    assert all(row[column] for row in rows for column in levels)
    assert all(column in (runs / "report" / "leaderboard.md").read_text() for column in levels)


@pytest.mark.parametrize("channels", [3, 1])
def test_predict_and_export_denoise_photos_of_any_size(channels: int, tmp_path: Path) -> None:
    tiles = ("task.tile_size=16", "task.tile_overlap=4")
    run = train_run(
        tmp_path / "run", "task=denoising", "model=dncnn", f"task.channels={channels}", *tiles
    )
    from_torch, from_onnx = predicted_by_torch_and_onnx(run, tmp_path, photo(37, 53))
    assert from_torch.shape == (3, 37, 53)
    assert (from_torch - from_onnx).abs().max() <= 1
    if channels == 1:
        assert torch.equal(from_torch[0], from_torch[2])  # the luma on every channel
