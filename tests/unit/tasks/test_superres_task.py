"""SuperResTask: the scale goes to models that up-sample themselves; others get the bicubic
image and a residual; metrics on shaved Y beside the bicubic baseline."""

from __future__ import annotations

import functools

import pytest
import torch
from helpers import task_settings
from torch import nn

from colorization.data.superres.degradation import bicubic_upsample
from colorization.models import RDN, UNet
from colorization.tasks import SuperResTask


def task_for(net, **options) -> SuperResTask:
    return SuperResTask(net, nn.L1Loss(), torch.optim.Adam, **task_settings("superres", **options))


def photos(count: int = 2, size: int = 24) -> dict[str, torch.Tensor]:
    images = torch.randint(0, 256, (count, 3, size, size), dtype=torch.uint8)
    return {"image": images, "index": torch.arange(count)}


@pytest.mark.parametrize("scale", [2, 3, 4])
def test_rdn_gets_the_scale_and_the_low_resolution_image(scale: int) -> None:
    task = task_for(functools.partial(RDN, base_width=4, preset="light"), scale=scale)
    assert task.upsamples_itself and task.net.scale == scale
    prepared = task.prepare_batch(photos(size=25), "train")
    side = 25 - 25 % scale
    assert prepared.target.shape == (2, 3, side, side)
    assert prepared.inputs.shape == (2, 3, side // scale, side // scale)
    assert task(prepared.inputs).shape == prepared.target.shape


def test_a_unet_refines_the_bicubic_image() -> None:
    task = task_for(functools.partial(UNet, base_width=4, depth=2), scale=2)
    assert not task.upsamples_itself
    low = torch.rand(1, 3, 12, 10)
    upsampled = bicubic_upsample(low, 2)
    with torch.no_grad():
        torch.testing.assert_close(task(low), upsampled + task.net(upsampled))


def test_whole_images_go_through_low_resolution_tiles() -> None:
    task = task_for(
        functools.partial(RDN, base_width=4, blocks=1, layers=1), tile_size=8, tile_overlap=2
    )
    low = torch.rand(1, 3, 13, 19)
    assert task.eval().predict_images(low).shape == (1, 3, 26, 38)


def test_metrics_score_the_model_beside_the_bicubic_baseline() -> None:
    task = task_for(functools.partial(UNet, base_width=4, depth=2))
    prepared = task.prepare_batch(photos(), "val")
    metrics = task.metrics["val"]
    task.update_metrics(metrics, prepared, prepared.target)  # a perfect prediction
    assert metrics["psnr"].compute().item() == pytest.approx(100.0)
    assert metrics["ssim"].compute().item() == pytest.approx(1.0, abs=1e-4)
    assert 0 < metrics["psnr_bicubic"].compute().item() < 100
    panels = task.preview_panels(prepared, prepared.target)
    assert [p.shape for p in panels] == [prepared.target.shape] * 3


@pytest.mark.parametrize(
    ("net", "options", "message"),
    [
        (functools.partial(UNet, base_width=4, depth=2), {"scale": 5}, "task.scale"),
        (functools.partial(UNet, base_width=4, depth=2), {"tile_overlap": 128}, "tile_overlap"),
        (RDN(3, 3, 4, blocks=1, layers=1, scale=3), {"scale": 2}, "up-samples 3x"),
    ],
)
def test_settings_that_cannot_work_stop_with_the_key(net, options, message) -> None:
    with pytest.raises(ValueError, match=message):
        task_for(net, **options)


@pytest.mark.parametrize("residual", [True, False])
def test_rdn_adds_the_bicubic_image_unless_told_not_to(residual: bool) -> None:
    net = functools.partial(RDN, base_width=4, blocks=1, layers=1)
    task = task_for(net, residual=residual).eval()
    low = torch.rand(1, 3, 9, 7)
    with torch.no_grad():
        direct = task.net(low)
        expected = bicubic_upsample(low, 2) + direct if residual else direct
        torch.testing.assert_close(task(low), expected)
        torch.testing.assert_close(task.inference_network()(low), expected)


def test_the_inference_network_of_a_unet_refines_the_bicubic_image() -> None:
    task = task_for(functools.partial(UNet, base_width=4, depth=2)).eval()
    low = torch.rand(2, 3, 10, 12)
    with torch.no_grad():
        torch.testing.assert_close(task.inference_network()(low), task(low))


def test_each_image_is_scored_on_shaved_luma() -> None:
    task = task_for(functools.partial(UNet, base_width=4, depth=2), scale=2)
    prepared = task.prepare_batch(photos(count=3, size=25), "test")
    perfect = task.image_scores(prepared, prepared.target)
    assert perfect["psnr"].tolist() == [100.0] * 3  # capped: a perfect image is not infinite
    assert perfect["ssim"].tolist() == pytest.approx([1.0] * 3)
    bicubic = task.image_scores(prepared, prepared.extras["bicubic"])
    assert bicubic["psnr"].shape == (3,) and (bicubic["psnr"] < 100).all()


def test_training_inputs_are_matlabs_bicubic_when_the_config_says_so() -> None:
    from colorization.data.superres.matlab_resize import matlab_imresize

    task = task_for(functools.partial(UNet, base_width=4, depth=2), degradation="matlab")
    batch = photos(size=24)
    prepared = task.prepare_batch(batch, "train")
    expected = matlab_imresize(batch["image"].float() / 255, 1 / 2)
    torch.testing.assert_close(prepared.inputs, (expected.clamp(0, 1) * 255).round() / 255)
    with pytest.raises(ValueError, match="task.degradation must be matlab or torch, got 'pil'"):
        task_for(functools.partial(UNet, base_width=4, depth=2), degradation="pil")
