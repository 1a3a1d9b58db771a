"""Flare removal end to end: training, pix2pix, resume, every model, prediction."""

from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path

import pytest
import pytorch_lightning as pl
import torch
from helpers import FLARE, RELOAD_AFTER_3_BAD_STEPS, photo, write_image
from hydra.utils import instantiate
from omegaconf import OmegaConf
from PIL import Image
from pytorch_lightning.plugins.precision import MixedPrecision

from colorization.build import build_task
from colorization.callbacks.checkpoint import load_checkpoint
from colorization.data.flare.synth import add_flare
from colorization.models.zoo import model_names
from colorization.train import train

# --- paired folders --------------------------------------------------------------------------


# --- training through the config -------------------------------------------------------------
@pytest.mark.parametrize(
    "overrides",
    [
        (),
        ("loss=charbonnier", "task.residual=false"),
        ("task.adversarial=true",),
        (
            "experiment=flare_pix2pix",
            "trainer.precision=bf16-mixed",
            "optimization.accumulate_grad_batches=2",
            "optimization.gradient_clip_val=1.0",
        ),
    ],
    ids=["plain", "charbonnier-direct", "adversarial", "pix2pix-bf16-accumulate-clip"],
)
def test_fast_dev_run(make_cfg, overrides: tuple[str, ...]) -> None:
    trainer, task = train(make_cfg(*FLARE, *overrides, "+trainer.fast_dev_run=1"))
    assert trainer.global_step == 1
    metrics = trainer.callback_metrics
    for name in ("val/psnr", "val/psnr_input", "val/ssim", "val/ssim_input"):
        assert torch.isfinite(metrics[name]), name
    assert 0.5 < float(metrics["val/ssim_input"]) <= 1  # float32 SSIM even under bf16
    if any("adversarial" in o or "pix2pix" in o for o in overrides):
        assert task.gan is not None
        for name in ("train/loss_gan", "train/loss_discriminator", "train/loss_reconstruction"):
            assert torch.isfinite(metrics[name]), name


def test_trains_on_folders_of_pairs_with_a_name_map(make_cfg, tmp_path: Path) -> None:
    for index in range(5):
        clean = photo(40, 56, seed=index)
        write_image(tmp_path / "label" / f"train_label_{index}.png", clean)
        write_image(
            tmp_path / "input" / f"train_input_{index}.png",
            add_flare(clean, torch.Generator().manual_seed(index)),
        )
    folders = (
        f"data.inputs={tmp_path / 'input'}",
        f"data.targets={tmp_path / 'label'}",
        "data.name_map=[input,label]",
        "data.val_fraction=0.2",
    )
    trainer, _ = train(make_cfg(*FLARE, *folders))
    assert trainer.current_epoch == 1
    assert float(trainer.callback_metrics["val/psnr_input"]) < 100  # a real flared/clean pair


def test_adversarial_checkpoint_holds_both_networks_and_resumes(make_cfg, tmp_path: Path) -> None:
    cfg = make_cfg(*FLARE, "task.adversarial=true", "run_name=gan")
    trainer, task = train(cfg)
    checkpoint = load_checkpoint(Path(cfg.paths.output_dir) / "checkpoints" / "last.ckpt")
    keys = checkpoint["state_dict"].keys()
    assert any(k.startswith("net.") for k in keys)
    assert any(k.startswith("gan.discriminator.") for k in keys)
    assert len(checkpoint["optimizer_states"]) == 2
    assert all(state["state"] for state in checkpoint["optimizer_states"])  # both have stepped
    resumed_cfg = make_cfg(*FLARE, "task.adversarial=true", "run_name=gan", "trainer.max_epochs=2")
    resumed, _ = train(resumed_cfg)
    assert resumed.current_epoch == 2
    assert resumed.global_step == 2 * trainer.global_step


@pytest.mark.parametrize("name", model_names())
def test_every_model_trains_a_step_on_flare(make_cfg, name: str) -> None:
    trainer, _ = train(make_cfg(*FLARE, f"model={name}", "+trainer.fast_dev_run=1"))
    assert trainer.global_step == 1
    assert torch.isfinite(trainer.callback_metrics["val/psnr"])


# --- prediction on a folder ------------------------------------------------------------------
def test_predict_restores_a_folder_of_any_size_from_a_run(make_cfg, tmp_path: Path) -> None:
    cfg = make_cfg(*FLARE, "run_name=predict")
    train(cfg)
    checkpoint = Path(cfg.paths.output_dir) / "checkpoints" / "last.ckpt"
    (Path(cfg.paths.output_dir) / ".hydra").mkdir(exist_ok=True)
    OmegaConf.save(cfg, Path(cfg.paths.output_dir) / ".hydra" / "config.yaml")  # as Hydra does
    write_image(tmp_path / "flared" / "odd.png", photo(37, 53))
    write_image(tmp_path / "flared" / "nested" / "big.jpg", photo(70, 41, seed=1))
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "colorization.predict",
            str(checkpoint),
            str(tmp_path / "flared"),
            str(tmp_path / "restored"),
            "--tile-size",
            "24",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "Wrote 2 images" in result.stdout
    assert Image.open(tmp_path / "restored" / "odd.png").size == (53, 37)
    assert Image.open(tmp_path / "restored" / "nested" / "big.png").size == (41, 70)


def test_pix2pix_trains_both_networks_under_fp16_loss_scaling(make_cfg) -> None:
    """The 16-mixed path users get on CUDA (autocast fp16 + GradScaler, shared by both
    optimizers), run on CPU through Lightning's own MixedPrecision plugin."""
    cfg = make_cfg(*FLARE, "task.adversarial=true")
    task = build_task(cfg)
    generator = [p.detach().clone() for p in task.net.parameters()]
    critic = [p.detach().clone() for p in task.gan.parameters()]
    scaler = torch.amp.GradScaler("cpu", init_scale=2.0**8)
    plugin = MixedPrecision("16-mixed", "cpu", scaler=scaler)
    trainer = pl.Trainer(
        accelerator="cpu",
        plugins=[plugin],
        max_steps=4,
        limit_val_batches=0,
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
    )
    trainer.fit(task, datamodule=instantiate(cfg.data))
    assert trainer.global_step == 4  # generator steps; the discriminator's are not counted
    assert any(not torch.equal(a, b) for a, b in zip(generator, task.net.parameters(), strict=True))
    assert any(not torch.equal(a, b) for a, b in zip(critic, task.gan.parameters(), strict=True))
    assert torch.isfinite(trainer.callback_metrics["train/loss_discriminator"])


def test_patches_per_image_trains_on_synthetic_flare(make_cfg) -> None:
    trainer, _ = train(make_cfg(*FLARE, "data.patches_per_image=2", "+trainer.fast_dev_run=1"))
    assert trainer.global_step == 1


def test_persistent_nan_in_pix2pix_reloads_both_networks_with_lower_rates(
    flaky_loss, make_cfg, caplog
):
    cfg = make_cfg(*FLARE, "task.adversarial=true", *RELOAD_AFTER_3_BAD_STEPS)
    trainer, task = train(cfg)
    task.loss = flaky_loss(bad_calls={5, 6, 7})
    with caplog.at_level(logging.WARNING):
        trainer.fit(task, datamodule=instantiate(cfg.data))
    assert "Reloaded" in caplog.text
    generator, critic = trainer.optimizers
    assert generator.param_groups[0]["lr"] == pytest.approx(0.0005)
    assert critic.param_groups[0]["lr"] == pytest.approx(0.0001)
    assert trainer.global_step == 10  # vetoed steps count as global steps
    assert all(torch.isfinite(p).all() for p in task.parameters())
