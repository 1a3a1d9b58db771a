"""DenoisingTask: noise made on the batch (seeded for validation), residual learning, grey
models, metrics beside the noisy input and classical denoisers, the sigma protocols."""

from __future__ import annotations

import functools

import pytest
import torch
from helpers import task_settings
from torch import nn

from colorization.models import UNet
from colorization.models.dncnn import DnCNN
from colorization.tasks.denoising.evaluation import configure_evaluation, sigma_protocols
from colorization.tasks.denoising.task import DenoisingTask


def task_for(net=None, **options) -> DenoisingTask:
    torch.manual_seed(0)
    net = net or functools.partial(DnCNN, base_width=4, depth=3)
    return DenoisingTask(
        net, nn.MSELoss(), torch.optim.Adam, **task_settings("denoising", **options)
    )


def photos(
    count: int = 3, size: int = 32, grey_level: int | None = None
) -> dict[str, torch.Tensor]:
    if grey_level is None:
        images = torch.randint(0, 256, (count, 3, size, size), dtype=torch.uint8)
    else:
        images = torch.full((count, 3, size, size), grey_level, dtype=torch.uint8)
    return {"image": images, "index": torch.arange(count)}


def test_the_network_predicts_the_noise_that_is_subtracted() -> None:
    task = task_for()
    noisy = torch.rand(2, 3, 17, 13)
    with torch.no_grad():
        torch.testing.assert_close(task(noisy), noisy - task.net(noisy))
    plain = task_for(residual=False)
    with torch.no_grad():
        torch.testing.assert_close(plain(noisy), plain.net(noisy))


def test_validation_noise_is_the_same_for_an_image_every_time_and_differs_between_images() -> None:
    task = task_for()
    batch = photos(grey_level=128)
    first = task.prepare_batch(batch, "val").inputs
    again = task.prepare_batch(batch, "val").inputs
    torch.testing.assert_close(first, again)
    assert not torch.allclose(first[0], first[1])
    shifted = task.prepare_batch({**batch, "index": batch["index"] + 1}, "val").inputs
    torch.testing.assert_close(shifted[0], first[1])  # seeded by the image, not the batch
    noise = first - 128 / 255
    assert noise.std().item() == pytest.approx(25 / 255, rel=0.05)  # not clipped by default
    assert task.prepare_batch(batch, "train").inputs.sub(first).abs().max() > 0  # fresh


def test_a_range_trains_at_one_level_per_image_and_validates_at_25() -> None:
    task = task_for(sigma=[5, 50])
    batch = photos(count=64, size=48, grey_level=128)
    levels = {
        stage: (task.prepare_batch(batch, stage).inputs - 128 / 255).flatten(1).std(dim=1) * 255
        for stage in ("train", "val")
    }
    assert levels["train"].min() > 4 and levels["train"].max() < 52
    assert levels["train"].max() - levels["train"].min() > 20
    assert levels["val"].sub(25).abs().max() < 1.5 and task.eval_sigma == 25


def test_clipping_keeps_noisy_images_in_range() -> None:
    task = task_for(sigma=50, clip=True)
    inputs = task.prepare_batch(photos(grey_level=250), "train").inputs
    assert inputs.min() >= 0 and inputs.max() <= 1


def test_a_grey_task_sees_the_luma_and_its_exported_network_takes_photos() -> None:
    task = task_for(channels=1)
    assert task.net.layers[0].in_channels == 1
    prepared = task.prepare_batch(photos(), "val")
    assert prepared.inputs.shape == prepared.target.shape == (3, 1, 32, 32)
    photo = torch.rand(2, 3, 20, 24)
    network = task.inference_network().eval()
    with torch.no_grad():
        out = network(photo)
    assert out.shape == (2, 3, 20, 24)
    torch.testing.assert_close(out[:, 0], out[:, 2])
    panels = task.preview_panels(prepared, prepared.target)
    assert all(panel.shape[1] == 3 for panel in panels)


def test_whole_images_of_any_size_go_through_tiles() -> None:
    task = task_for(
        net=functools.partial(UNet, base_width=4, depth=2), tile_size=16, tile_overlap=4
    )
    assert task.eval().predict_images(torch.rand(1, 3, 37, 29)).shape == (1, 3, 37, 29)


def test_metrics_score_the_model_beside_the_noisy_input_and_non_local_means() -> None:
    task = task_for(baselines=["nlm"])
    batch = photos(count=2, size=48, grey_level=100)
    prepared = task.prepare_batch(batch, "test")
    metrics = task.metrics["test"]
    task.update_metrics(metrics, prepared, prepared.target)  # a perfect prediction
    assert metrics["psnr"].compute().item() == pytest.approx(100.0)
    noisy_db = metrics["psnr_noisy"].compute().item()
    assert noisy_db == pytest.approx(20 * torch.log10(torch.tensor(255 / 25)).item(), abs=0.3)
    assert metrics["psnr_nlm"].compute().item() > noisy_db + 3  # a flat image: easy for NLM
    scores = task.image_scores(prepared, prepared.target)
    assert set(scores) == {"psnr", "ssim"} and scores["psnr"].shape == (2,)


def test_evaluation_tests_at_each_sigma_and_restores_the_runs_level() -> None:
    task = task_for(sigma=25)
    protocols = sigma_protocols({"sigmas": [15, 50]})
    assert [p.setting.text for p in protocols] == ["sigma 15", "sigma 50"]
    assert [p.setting.value for p in protocols] == [15.0, 50.0]
    batch = photos(count=8, size=48, grey_level=128)
    with protocols[1].applied_to(task):
        noise = task.prepare_batch(batch, "test").inputs - 128 / 255
        assert noise.std().item() == pytest.approx(50 / 255, rel=0.05)
    assert task.eval_sigma == 25


def test_evaluate_sets_the_classical_denoisers() -> None:
    from omegaconf import OmegaConf

    config = OmegaConf.create({"task": {"sigma": 25}})
    configure_evaluation(config, {"denoisers": ["nlm", "bm3d"]})
    assert list(config.task.baselines) == ["nlm", "bm3d"]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"sigma": -5}, "task.sigma must be one noise level"),
        ({"sigma": [30, 10]}, "task.sigma must be one noise level"),
        ({"sigma": [1, 2, 3]}, "task.sigma must be one noise level"),
        ({"eval_sigma": 300}, "task.eval_sigma must be"),
        ({"channels": 2}, "task.channels must be 3"),
        ({"channels": 1, "in_channels": 3}, "follow task.channels"),
        ({"baselines": ["wiener"]}, "task.baselines: unknown"),
        ({"tile_size": 8, "tile_overlap": 8}, "tile"),
    ],
)
def test_bad_settings_stop_with_the_option_named(options: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        task_for(**options)
