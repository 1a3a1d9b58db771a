"""FlareTask: residual prediction, pix2pix wiring, loss checks."""

from __future__ import annotations

import pytest
import torch
from helpers import FLARE, photo, task_settings
from hydra.errors import InstantiationException
from torch import nn

from colorization.data.flare.synth import add_flare
from colorization.tasks import FlareTask
from colorization.train import train


# --- the task ------------------------------------------------------------------------------
class Zero(nn.Module):
    """Predicts no correction: the residual task returns its input."""

    in_channels, out_channels = 3, 3

    def __init__(self) -> None:
        super().__init__()
        self.scale = nn.Parameter(torch.zeros(()))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.scale * x


def flare_task(**kwargs) -> FlareTask:
    return FlareTask(
        Zero(),
        nn.L1Loss(),
        torch.optim.Adam,
        **task_settings("flare", tile_size=16, tile_overlap=4, **kwargs),
    )


def test_residual_task_starts_at_the_do_nothing_baseline() -> None:
    task = flare_task().eval()
    clean = photo(21, 27)
    batch = {
        "input": add_flare(clean, torch.Generator().manual_seed(0))[None],
        "target": clean[None],
        "index": torch.tensor([0]),
    }
    metrics = task.metrics["val"]
    sample = task.prepare_batch(batch, "val")
    task.update_metrics(metrics, sample, task.predict_images(sample.inputs))
    assert metrics["psnr"].compute() == pytest.approx(metrics["psnr_input"].compute().item())
    restored = task.predict_step(batch, 0)
    assert restored.dtype == torch.uint8 and torch.equal(restored, batch["input"])
    panels = task.preview(batch)
    assert len(panels) == 3 and torch.equal(panels[2], batch["target"].float() / 255)


def test_adversarial_task_needs_its_discriminator() -> None:
    with pytest.raises(ValueError, match="task.discriminator"):
        flare_task(adversarial=True)


def test_generator_loss_leaves_the_discriminator_without_gradients() -> None:
    from colorization.models.discriminator import PatchDiscriminator
    from colorization.tasks.adversarial import ConditionalGAN

    gan = ConditionalGAN(PatchDiscriminator(6, base_width=8))
    condition, fake = torch.rand(2, 3, 32, 32), torch.rand(2, 3, 32, 32, requires_grad=True)
    gan.generator_loss(condition, fake).backward()
    assert fake.grad is not None
    assert all(p.grad is None for p in gan.parameters())
    assert all(p.requires_grad for p in gan.parameters())
    gan.discriminator_loss(condition, torch.rand(2, 3, 32, 32), fake).backward()
    assert all(p.grad is not None for p in gan.parameters())


def test_a_segmentation_loss_is_refused(make_cfg) -> None:
    with pytest.raises(
        InstantiationException, match="loss=charbonnier, l1, l1_ssim, mse, psnr or ssim"
    ):
        train(make_cfg(*FLARE, "loss=dice", "train=false"))
