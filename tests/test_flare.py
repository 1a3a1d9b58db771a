"""Flare removal: the procedural flare and compositor, tiled inference, paired folders and their
errors, joint patches, restoration losses, the task (residual, metrics, pix2pix) and training
through the real config, plain and adversarial."""

from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path

import pytest
import pytorch_lightning as pl
import torch
from hydra.errors import InstantiationException
from hydra.utils import instantiate
from omegaconf import OmegaConf
from PIL import Image
from pytorch_lightning.plugins.precision import MixedPrecision
from torch import nn
from torchmetrics.functional.image import structural_similarity_index_measure

from colorization.data import FlareDataModule
from colorization.data.flare.examples import example_grid
from colorization.data.flare.pairs import (
    check_image_pairs,
    pair_inputs_and_targets,
    random_patch_pair,
    suggest_name_map,
)
from colorization.data.flare.synth import FLARE_FLOOR, add_flare, composite, random_flare
from colorization.losses import CharbonnierLoss, L1SSIMLoss, SSIMLoss
from colorization.predict import load_task
from colorization.resume import load_checkpoint
from colorization.tasks import FlareTask
from colorization.tasks.tiling import blend_window, tile_starts, tiled_apply
from colorization.build import build_task
from colorization.train import train
from colorization.zoo import model_names

FLARE = (
    "task=flare",
    "data.scene_size=48",
    "data.val_samples=2",
    "task.tile_size=32",
    "task.tile_overlap=8",
)


def photo(height: int = 40, width: int = 56, seed: int = 0) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    return torch.randint(0, 256, (3, height, width), dtype=torch.uint8, generator=generator)


# --- procedural flare and compositing ----------------------------------------------------
def test_flare_is_deterministic_with_a_seed_and_varies_without() -> None:
    first = random_flare(48, 64, torch.Generator().manual_seed(3))
    again = random_flare(48, 64, torch.Generator().manual_seed(3))
    other = random_flare(48, 64, torch.Generator().manual_seed(4))
    assert torch.equal(first, again)
    assert not torch.equal(first, other)
    assert first.shape == (3, 48, 64) and first.dtype == torch.float32


def test_flare_is_non_negative_light_with_exact_zeros_below_the_floor() -> None:
    flares = [random_flare(96, 128, torch.Generator().manual_seed(s)) for s in range(12)]
    for flare in flares:
        assert flare.min() >= 0 and flare.max() > 0.1  # some visible light in every flare
        visible = flare[flare > 0]
        assert visible.min() >= FLARE_FLOOR
    assert any((flare == 0).any() for flare in flares)


def test_composite_stays_in_range_and_only_adds_light() -> None:
    clean = torch.rand(3, 32, 32)
    flare = torch.rand(3, 32, 32) * 3  # brighter than white in places: must clip
    flared = composite(clean, flare, gamma=2.0)
    assert flared.min() >= 0 and flared.max() <= 1
    assert (flared >= clean - 1e-6).all()
    assert (flared[flare > 1] == 1).all()  # saturated where the flare alone exceeds white


@pytest.mark.parametrize("gamma", [1.8, 2.2])
def test_zero_flare_gives_back_the_clean_image(gamma: float) -> None:
    clean = torch.rand(3, 17, 23)
    assert torch.allclose(composite(clean, torch.zeros_like(clean), gamma), clean, atol=1e-6)


def test_add_flare_keeps_clean_pixels_where_the_flare_is_zero() -> None:
    clean = photo(96, 128)
    for seed in range(6):
        flared = add_flare(clean, torch.Generator().manual_seed(seed))
        flare = random_flare(96, 128, torch.Generator().manual_seed(seed))  # same draws
        untouched = (flare == 0).all(dim=0)
        assert torch.equal(flared[:, untouched], clean[:, untouched])
        assert (flared.int() >= clean.int() - 1).all()  # flare only adds light (8-bit rounding)
        assert (flared != clean).any()
    assert torch.equal(
        add_flare(clean, torch.Generator().manual_seed(1)),
        add_flare(clean, torch.Generator().manual_seed(1)),
    )


def test_add_flare_rejects_float_images() -> None:
    with pytest.raises(ValueError, match="uint8"):
        add_flare(torch.rand(3, 8, 8), torch.Generator())


def test_composite_rejects_a_bad_gamma() -> None:
    with pytest.raises(ValueError, match="gamma"):
        composite(torch.rand(3, 4, 4), torch.zeros(3, 4, 4), gamma=0)


# --- tiled inference -----------------------------------------------------------------------
def test_tiles_cover_the_length_and_the_last_is_flush() -> None:
    assert tile_starts(10, 16, 4) == [0]
    assert tile_starts(53, 16, 5) == [0, 11, 22, 33, 37]
    with pytest.raises(ValueError, match="overlap"):
        tile_starts(53, 16, 16)
    window = blend_window(16, 16, 4)
    assert window.min() == pytest.approx(1 / 25) and window.max() == 1  # corner: (1/5)^2


@pytest.mark.parametrize("size", [(37, 53), (9, 11), (16, 16), (33, 17)])
def test_tiling_an_identity_model_reproduces_the_image_exactly(size: tuple[int, int]) -> None:
    image = torch.rand(2, 3, *size)
    result = tiled_apply(lambda x: x, image, tile=16, overlap=5, tiles_per_batch=3)
    assert result.shape == image.shape
    assert torch.allclose(result, image, atol=1e-6)
    as_bytes = (image * 255).round().byte()
    tiled = tiled_apply(lambda x: x, as_bytes.float() / 255, tile=16, overlap=5)
    assert torch.equal((tiled * 255).round().byte(), as_bytes)


def test_tiling_a_pixelwise_network_equals_running_it_whole() -> None:
    net = nn.Conv2d(3, 2, 1)
    image = torch.rand(1, 3, 41, 29)
    with torch.no_grad():
        whole = net(image)
    assert torch.allclose(tiled_apply(net, image, tile=16, overlap=4), whole, atol=1e-5)


def test_tiling_needs_a_network_that_keeps_the_size() -> None:
    with pytest.raises(ValueError, match="keeps the image size"):
        tiled_apply(lambda x: x[..., :-1, :], torch.rand(1, 3, 20, 20), tile=16, overlap=4)


# --- paired folders --------------------------------------------------------------------------
def write_image(path: Path, image: torch.Tensor) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(image.permute(1, 2, 0).numpy()).save(path)


def write_pairs(root: Path, names: list[str], size: tuple[int, int] = (40, 56)) -> None:
    for index, name in enumerate(names):
        clean = photo(*size, seed=index)
        write_image(root / "targets" / f"{name}.png", clean)
        write_image(root / "inputs" / f"{name}.jpg", add_flare(clean, torch.Generator()))


def test_pairs_match_by_name_across_extensions(tmp_path: Path) -> None:
    write_pairs(tmp_path, ["a", "b", "c"])
    pairs = pair_inputs_and_targets(tmp_path / "inputs", tmp_path / "targets")
    assert [(p.input.name, p.target.name) for p in pairs] == [
        ("a.jpg", "a.png"),
        ("b.jpg", "b.png"),
        ("c.jpg", "c.png"),
    ]


def test_unmatched_names_are_listed_with_the_name_map_fix(tmp_path: Path) -> None:
    for index in range(3):
        write_image(tmp_path / "in" / f"train_input_{index}.png", photo(seed=index))
        write_image(tmp_path / "label" / f"train_label_{index}.png", photo(seed=index))
    with pytest.raises(FileNotFoundError) as error:
        pair_inputs_and_targets(tmp_path / "in", tmp_path / "label")
    message = str(error.value)
    assert "3 of 3 images" in message and "train_input_0.png" in message
    assert "data.name_map='[input,label]'" in message
    pairs = pair_inputs_and_targets(tmp_path / "in", tmp_path / "label", ["input", "label"])
    assert len(pairs) == 3 and pairs[0].target.name == "train_label_0.png"


def test_suggested_name_map() -> None:
    assert suggest_name_map("train_input_10000", "train_label_10000") == ("input", "label")
    assert suggest_name_map("x", "y") is None


def test_size_mismatch_and_too_small_pairs_are_reported(tmp_path: Path) -> None:
    write_image(tmp_path / "in" / "a.png", photo(40, 56))
    write_image(tmp_path / "out" / "a.png", photo(40, 50))
    pairs = pair_inputs_and_targets(tmp_path / "in", tmp_path / "out")
    with pytest.raises(ValueError, match=r"differ in size[\s\S]*a.png \(56, 40\) vs a.png"):
        check_image_pairs(pairs, 16)
    write_image(tmp_path / "out" / "a.png", photo(40, 56))
    with pytest.raises(ValueError, match=r"smaller than the training patch[\s\S]*a.png"):
        check_image_pairs(pairs, 48)
    check_image_pairs(pairs, 40)
    (tmp_path / "out" / "a.png").write_bytes(b"not an image")
    with pytest.raises(ValueError, match="cannot be read"):
        check_image_pairs(pairs, 16)


def test_datamodule_needs_both_folders() -> None:
    with pytest.raises(ValueError, match="both data.inputs and data.targets"):
        FlareDataModule(inputs="/somewhere")


def test_patches_transform_input_and_target_alike() -> None:
    torch.manual_seed(0)
    source = photo(40, 56)
    target = 255 - source  # any pixelwise relation must survive the joint transform
    seen = set()
    for _ in range(20):
        patch_in, patch_target = random_patch_pair(source, target, 16)
        assert patch_in.shape == (3, 16, 16)
        assert torch.equal(patch_target, 255 - patch_in)
        seen.add(patch_in.sum().item())
    assert len(seen) > 10  # crops, flips and rotations actually vary


# --- data module -----------------------------------------------------------------------------
def test_synthetic_datamodule_patches_and_fixed_whole_validation_images() -> None:
    def val_items() -> list[dict]:
        datamodule = FlareDataModule(
            image_size=32,
            scene_size=48,
            batch_size=4,
            val_samples=4,
            num_workers=0,
            train_samples_per_epoch=8,
        )
        datamodule.setup()
        return datamodule, [datamodule.val_set[i] for i in range(4)]

    datamodule, first = val_items()
    _, second = val_items()
    batch = next(iter(datamodule.train_dataloader()))
    assert batch["input"].shape == (4, 3, 32, 32) and batch["input"].dtype == torch.uint8
    assert (batch["input"] != batch["target"]).any()
    # The two held-out photos in turn, whole (shorter side = scene_size), two flares each.
    assert [tuple(item["input"].shape) for item in first] == [(3, 48, 72)] * 4
    for a, b in zip(first, second, strict=True):
        assert torch.equal(a["input"], b["input"]) and torch.equal(a["target"], b["target"])
    assert not torch.equal(first[0]["target"], first[1]["target"])  # the other photo
    assert torch.equal(first[0]["target"], first[2]["target"])  # the same photo ...
    assert not torch.equal(first[0]["input"], first[2]["input"])  # ... with another flare


def test_folder_datamodule_trains_on_patches_and_validates_whole_images(tmp_path: Path) -> None:
    write_pairs(tmp_path, [f"p{i}" for i in range(5)], size=(40, 56))
    datamodule = FlareDataModule(
        str(tmp_path / "inputs"),
        str(tmp_path / "targets"),
        image_size=24,
        batch_size=2,
        num_workers=0,
        val_fraction=0.2,
        train_samples_per_epoch=6,
    )
    datamodule.setup()
    assert len(datamodule.train_set) == 6
    assert next(iter(datamodule.train_dataloader()))["input"].shape == (2, 3, 24, 24)
    val = next(iter(datamodule.val_dataloader()))
    assert val["input"].shape == (1, 3, 40, 56)


# --- losses --------------------------------------------------------------------------------
def test_restoration_losses() -> None:
    pred, target = torch.rand(2, 3, 32, 32, requires_grad=True), torch.rand(2, 3, 32, 32)
    assert CharbonnierLoss(1e-3)(target, target).item() == pytest.approx(1e-3)
    l1 = (pred - target).abs().mean()
    assert CharbonnierLoss(1e-3)(pred, target).item() == pytest.approx(l1.item(), abs=1e-3)
    assert SSIMLoss()(target, target).item() == pytest.approx(0, abs=1e-5)
    ssim = structural_similarity_index_measure(pred, target, data_range=1.0)
    combined = L1SSIMLoss(0.2)(pred, target)
    assert combined.item() == pytest.approx((l1 + 0.2 * (1 - ssim)).item(), rel=1e-5)
    combined.backward()
    assert pred.grad is not None and pred.grad.abs().sum() > 0
    with pytest.raises(ValueError, match="eps"):
        CharbonnierLoss(0)


def test_ssim_loss_is_computed_in_float32_under_autocast() -> None:
    clean = torch.rand(1, 3, 48, 48)
    noisy = (clean + 0.05 * torch.randn_like(clean)).clamp(0, 1)
    exact = SSIMLoss()(noisy, clean)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        under_autocast = SSIMLoss()(noisy, clean)
    assert under_autocast.item() == pytest.approx(exact.item(), abs=1e-5)


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
    return FlareTask(Zero(), nn.L1Loss(), torch.optim.Adam, tile_size=16, tile_overlap=4, **kwargs)


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


def test_a_segmentation_loss_is_refused(make_cfg) -> None:
    with pytest.raises(InstantiationException, match="loss=l1, mse, charbonnier"):
        train(make_cfg(*FLARE, "loss=dice", "train=false"))


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


def test_predict_explains_a_checkpoint_outside_its_run(tmp_path: Path) -> None:
    checkpoint = tmp_path / "model.ckpt"
    checkpoint.write_bytes(b"")
    with pytest.raises(FileNotFoundError, match="must stay in its run folder"):
        load_task(checkpoint)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_task(tmp_path / "missing.ckpt")


def test_predict_refuses_a_task_without_image_prediction(make_cfg) -> None:
    cfg = make_cfg("run_name=colorize")  # the default task: colorization
    train(cfg)
    (Path(cfg.paths.output_dir) / ".hydra").mkdir(exist_ok=True)
    OmegaConf.save(cfg, Path(cfg.paths.output_dir) / ".hydra" / "config.yaml")
    with pytest.raises(ValueError, match="task=flare"):
        load_task(Path(cfg.paths.output_dir) / "checkpoints" / "last.ckpt")


def test_example_grid_shows_clean_and_flared_pairs() -> None:
    grid = example_grid(count=2, size=32)
    assert grid.shape == (3, 36, 4 * 34 + 2)


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


def test_several_patches_per_decoded_pair(tmp_path: Path, monkeypatch) -> None:
    import colorization.data.flare.pairs as pairs_module

    write_pairs(tmp_path, [f"p{i}" for i in range(5)], size=(40, 56))
    decoded = []
    real_load = pairs_module.load_rgb
    monkeypatch.setattr(
        pairs_module, "load_rgb", lambda path: decoded.append(path) or real_load(path)
    )
    datamodule = FlareDataModule(
        str(tmp_path / "inputs"),
        str(tmp_path / "targets"),
        image_size=16,
        batch_size=8,
        num_workers=0,
        val_fraction=0.2,
        train_samples_per_epoch=16,
        patches_per_image=4,
    )
    datamodule.setup()
    batches = list(datamodule.train_dataloader())
    assert [tuple(b["input"].shape) for b in batches] == [(8, 3, 16, 16)] * 2
    assert sorted(torch.cat([b["index"] for b in batches]).tolist()) == list(range(16))
    assert len(decoded) == 2 * 4  # 4 pairs decoded (input + target) for 16 patches
    with pytest.raises(ValueError, match="divide data.batch_size=6"):
        FlareDataModule(batch_size=6, patches_per_image=4)


def test_patches_per_image_trains_on_synthetic_flare(make_cfg) -> None:
    trainer, _ = train(make_cfg(*FLARE, "data.patches_per_image=2", "+trainer.fast_dev_run=1"))
    assert trainer.global_step == 1


def test_persistent_nan_in_pix2pix_reloads_both_networks_with_lower_rates(make_cfg, caplog):
    from test_safety import FlakyLoss  # the NaN-on-chosen-calls loss of the safety tests

    cfg = make_cfg(
        *FLARE,
        "task.adversarial=true",
        "train=false",
        "data.train_samples_per_epoch=40",  # 10 steps per epoch
        "callbacks.last_checkpoint.every_n_train_steps=2",
        "safety.loss_guard.max_consecutive=3",
        "scheduler=none",
        "optimizer.lr=0.001",
    )
    trainer, task = train(cfg)
    task.loss = FlakyLoss(bad_calls={5, 6, 7})
    with caplog.at_level(logging.WARNING):
        trainer.fit(task, datamodule=instantiate(cfg.data))
    assert "Reloaded" in caplog.text
    generator, critic = trainer.optimizers
    assert generator.param_groups[0]["lr"] == pytest.approx(0.0005)
    assert critic.param_groups[0]["lr"] == pytest.approx(0.0001)
    assert trainer.global_step == 10 - 3
    assert all(torch.isfinite(p).all() for p in task.parameters())
