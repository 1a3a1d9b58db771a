"""Builders shared by several test files: images on disk, photos, tasks, override sets."""

from __future__ import annotations

import csv
import json
import re
import struct
import zlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytorch_lightning as pl
import torch
from omegaconf import OmegaConf
from PIL import Image
from torch import nn

from colorization.data.colorization.hints import RandomPixelHints
from colorization.data.flare.synth import add_flare
from colorization.data.photos.store import MANIFEST_FIELDS
from colorization.tasks import ColorizationTask

RNG = np.random.default_rng(0)

# Tiny but real: every test run trains the same code paths as a user's run, only smaller
# (the make_cfg fixture's overrides; tests that start a command use them too).
TINY = (
    "model.base_width=4",
    "model.depth=2",
    "data.image_size=32",
    "data.batch_size=4",
    "data.train_samples_per_epoch=8",
    "data.num_workers=0",
    "trainer.max_epochs=1",
    "trainer.accelerator=cpu",
    "print_config=false",
)

# Trials of a few seconds: the tiny runs, two epochs of two batches.
TINY_TRIALS = (
    *TINY,
    "trainer.max_epochs=2",
    "+trainer.limit_val_batches=1",
    "callbacks.image_preview.num_images=2",
    "logger=csv",
)


def search_command(log_dir: Path, *overrides: str) -> list[str]:
    """``python -m colorization.train -m hparams_search=colorization_optuna`` of tiny trials
    under ``log_dir``."""
    import sys

    search = ["-m", "hparams_search=colorization_optuna", f"paths.log_dir={log_dir}"]
    return [sys.executable, "-m", "colorization.train", *search, *TINY_TRIALS, *overrides]


# A small run that a test starts as a command (larger than TINY: several steps an epoch, for
# checkpoints between steps, signals and DDP).
SMALL_RUN = (
    "print_config=false",
    "model.base_width=8",
    "model.depth=2",
    "data.image_size=48",
    "data.batch_size=4",
    "data.train_samples_per_epoch=64",
    "data.num_workers=0",
    "~callbacks.progress_bar",
)


def rgb(height: int = 40, width: int = 48) -> np.ndarray:
    return RNG.integers(0, 256, (height, width, 3), dtype=np.uint8)


def write_png16(path: Path, pixels: np.ndarray) -> None:
    """A 16-bit-per-channel RGB PNG (Pillow cannot write one)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    height, width, _ = pixels.shape
    rows = b"".join(b"\x00" + pixels[y].astype(">u2").tobytes() for y in range(height))
    header = struct.pack(">IIBBBBB", width, height, 16, 2, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def make_corpus(folder: Path) -> dict[str, tuple[str, str]]:
    """Writes one file per case; returns name -> (expected outcome, problem prefix)."""
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(3):
        Image.fromarray(rgb()).save(folder / f"good{i}.jpg")
    Image.fromarray(rgb()).save(folder / "good.png")
    good = (folder / "good0.jpg").read_bytes()
    (folder / "truncated.jpg").write_bytes(good[: len(good) // 2])
    (folder / "notes.png").write_text("this is not an image")
    Image.fromarray(np.dstack([rgb(), np.full((40, 48), 128, np.uint8)])).save(folder / "rgba.png")
    write_png16(folder / "deep.png", RNG.integers(0, 65536, (40, 48, 3)).astype(np.uint16))
    Image.fromarray(rgb()[..., 0]).save(folder / "gray.png")
    Image.fromarray(rgb(10, 12)).save(folder / "tiny.png")
    return {
        "good0.jpg": ("kept", ""),
        "good.png": ("kept", ""),
        "truncated.jpg": ("skipped", "truncated"),
        "notes.png": ("skipped", "unreadable"),
        "rgba.png": ("converted", "alpha"),
        "deep.png": ("converted", "16-bit"),
        "gray.png": ("skipped", "grayscale"),
        "tiny.png": ("skipped", "too small"),
    }


def write_images(folder: Path, count: int, size: tuple[int, int] = (40, 30)) -> list[Path]:
    """``count`` random RGB images in every supported format, some in sub-folders."""
    rng = np.random.default_rng(0)
    suffixes = [".png", ".jpg", ".bmp", ".tif", ".webp"]
    paths = []
    for i in range(count):
        path = folder / f"sub{i % 2}" / f"img{i}{suffixes[i % len(suffixes)]}"
        path.parent.mkdir(parents=True, exist_ok=True)
        pixels = rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)
        Image.fromarray(pixels).save(path)
        paths.append(path)
    return paths


def photo(height: int = 40, width: int = 56, seed: int = 0) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    return torch.randint(0, 256, (3, height, width), dtype=torch.uint8, generator=generator)


def write_image(path: Path, image: torch.Tensor) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(image.permute(1, 2, 0).numpy()).save(path)


def write_pairs(root: Path, names: list[str], size: tuple[int, int] = (40, 56)) -> None:
    for index, name in enumerate(names):
        clean = photo(*size, seed=index)
        write_image(root / "targets" / f"{name}.png", clean)
        write_image(root / "inputs" / f"{name}.jpg", add_flare(clean, torch.Generator()))


FLARE = (
    "task=flare",
    "data.scene_size=48",
    "data.val_samples=2",
    "task.tile_size=32",
    "task.tile_overlap=8",
)


def write_pair(root: Path, stem: str, size=(40, 30), values=(0, 255), suffix="_mask", ext=".png"):
    (root / "images").mkdir(parents=True, exist_ok=True)
    (root / "masks").mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(len(stem))
    Image.fromarray(rng.integers(0, 255, (size[1], size[0], 3), dtype=np.uint8)).save(
        root / "images" / f"{stem}.jpg"
    )
    mask = np.full((size[1], size[0]), values[0], dtype=np.uint8)
    mask[5:20, 10:30] = values[-1]
    Image.fromarray(mask).save(root / "masks" / f"{stem}{suffix}{ext}")


def make_task(net: nn.Module) -> ColorizationTask:
    return ColorizationTask(
        net,
        nn.L1Loss(),
        torch.optim.Adam,
        hints=RandomPixelHints(),
        **task_settings("colorization"),
    )


def batch(size: int = 24, count: int = 3) -> dict[str, torch.Tensor]:
    torch.manual_seed(0)
    return {
        "image": torch.randint(0, 256, (count, 3, size, size), dtype=torch.uint8),
        "index": torch.arange(count),
    }


# Not trained yet (train=false), 10 steps per epoch, last.ckpt every 2 steps, the loss guard
# reloading it after 3 bad steps in a row, a constant learning rate of 1e-3.
RELOAD_AFTER_3_BAD_STEPS = (
    "train=false",
    "data.train_samples_per_epoch=40",  # 10 steps per epoch
    "callbacks.last_checkpoint.every_n_train_steps=2",
    "safety.loss_guard.max_consecutive=3",
    "scheduler=none",
    "optimizer.lr=0.001",
)


class RaiseInValidation(pl.Callback):
    """Raises at the end of the first validation epoch, as a pruned search trial does."""

    def on_validation_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if not trainer.sanity_checking:
            raise RuntimeError("raised at the end of validation")


# A tiny timm encoder (timm's own test model) for model=smp in tests: the default ResNet-34 has
# 21 M parameters whatever model.depth is.
TINY_ENCODER = "model.encoder=tu-test_resnet"


def tiny(overrides: Sequence[str]) -> tuple[str, ...]:
    """:data:`TINY` for the model ``overrides`` choose (or their task's YAML does): without
    ``model.depth`` for models without one (eccv16, siggraph17, rdn), with a tiny encoder for
    models that have one (smp)."""
    from colorization.config import config_dir, task_choice

    chosen = [o.split("=", 1)[1] for o in overrides if o.startswith("model=")]
    tasks = [o.split("=", 1)[1] for o in overrides if o.startswith("task=")]
    task = tasks[-1] if tasks else "colorization"
    name = chosen[-1] if chosen else task_choice(task, "model") or "unet"
    path = config_dir() / "model" / f"{name}.yaml"
    settings = OmegaConf.load(path) if path.is_file() else {}
    if path.is_file() and "depth" not in settings:
        return tuple(o for o in TINY if not o.startswith("model.depth="))
    return (*TINY, TINY_ENCODER) if "encoder" in settings else TINY


def train_run(folder: Path, *overrides: str) -> Path:
    """Train a tiny run into ``folder`` (its config recorded as Hydra does); returns the folder."""
    train_run_returning_task(folder, *overrides)
    return folder


def train_run_returning_task(
    folder: Path, *overrides: str
) -> tuple[pl.Trainer, pl.LightningModule]:
    """:func:`train_run`, returning the trainer and the task it trained."""
    from colorization.config import compose
    from colorization.train import train

    cfg = compose([*tiny(overrides), *overrides], output_dir=folder)
    trainer, task = train(cfg)
    (folder / ".hydra").mkdir(exist_ok=True)
    OmegaConf.save(cfg, folder / ".hydra" / "config.yaml")
    return trainer, task


def predicted_by_torch_and_onnx(
    run: Path, folder: Path, image: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """``image`` predicted from the run's checkpoint and from its ONNX export (whose parity
    check must pass), as ``predict`` writes them: (from PyTorch, from ONNX), int tensors."""
    import torchvision

    from colorization.export import export
    from colorization.predict import main as predict

    write_image(folder / "in" / "odd.png", image)
    predict([str(run), str(folder / "in"), str(folder / "torch")])
    results = export(run, folder / "model.onnx")
    assert max(difference for _, difference in results) <= 1e-4
    predict(["--onnx", str(folder / "model.onnx"), str(folder / "in"), str(folder / "onnx")])
    return tuple(  # type: ignore[return-value]
        torchvision.io.decode_image(str(folder / kind / "odd.png")).int()
        for kind in ("torch", "onnx")
    )


def renamed_state(state: dict[str, torch.Tensor], rules) -> dict[str, torch.Tensor]:
    """A reference implementation's state dict under our module names: each key is renamed by
    the first ``(pattern, replacement)`` rule that matches it (``re.subn``)."""
    out = {}
    for key, value in state.items():
        for pattern, replacement in rules:
            key, count = re.subn(pattern, replacement, key)
            if count:
                break
        out[key] = value
    return out


def task_settings(name: str, **changes: Any) -> dict[str, Any]:
    """Task ``name``'s settings as its YAML states them (their one home: the task classes
    declare no defaults), resolved, with ``changes``; settings that are objects' configs (a
    discriminator) left out: a test passes its own objects."""
    from colorization.config import config_dir

    node = OmegaConf.load(config_dir() / "task" / f"{name}.yaml").task
    for key in set(changes) & set(node):  # before resolving: in_channels: ${.channels}
        node[key] = changes[key]
    settings = OmegaConf.to_container(node, resolve=True)
    settings = {k: v for k, v in settings.items() if k != "_target_" and not isinstance(v, dict)}
    return {**settings, **changes}


V1_SPLITS = {"train": 7, "val": 2, "test": 1}


def smooth_photo(height: int, width: int, seed: int) -> torch.Tensor:
    """A smooth colour image (a random coarse grid, enlarged): JPEG keeps it closely."""
    coarse = np.random.default_rng(seed).integers(0, 256, (4, 5, 3), dtype=np.uint8)
    pixels = np.asarray(Image.fromarray(coarse).resize((width, height), Image.BILINEAR))
    return torch.from_numpy(pixels.copy()).permute(2, 0, 1).contiguous()


def write_v1_store(folder: Path) -> dict[str, list[torch.Tensor]]:
    """A store as colorization 1.x wrote it: raw pixels and an index per split."""
    folder.mkdir(parents=True)
    photos = {
        split: [smooth_photo(40 + i, 52 + 3 * i, seed=10 * n + i) for i in range(count)]
        for n, (split, count) in enumerate(V1_SPLITS.items())
    }
    rows = []
    for split, images in photos.items():
        offset, index = 0, []
        with open(folder / f"{split}.pixels", "wb") as handle:
            for i, image in enumerate(images):
                pixels = image.permute(1, 2, 0).contiguous().numpy()
                handle.write(pixels.tobytes())
                index.append((offset, pixels.shape[0], pixels.shape[1]))
                offset += pixels.nbytes
                rows.append(
                    [split, i, f"{split}_{i}.png", f"/photos/{split}_{i}.png", 0, 0, 0, 0, ""]
                )
        np.save(folder / f"{split}.index.npy", np.array(index, dtype=np.int64))
    with open(folder / "manifest.csv", "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(MANIFEST_FIELDS)  # 1.x stores had the same columns
        writer.writerows(rows)
    info = {"version": 1, "short_side": 256, "counts": V1_SPLITS, "found": 10}
    (folder / "store.json").write_text(json.dumps(info))
    return photos


def assert_same_training(resumed: dict[str, Any], uninterrupted: dict[str, Any]) -> None:
    """Bitwise: every weight and buffer, every optimizer moment, the schedulers, the step."""
    assert (resumed["epoch"], resumed["global_step"]) == (
        uninterrupted["epoch"],
        uninterrupted["global_step"],
    )
    for key in ("state_dict", "optimizer_states", "lr_schedulers"):
        assert_equal(resumed[key], uninterrupted[key], key)


def assert_equal(first: Any, second: Any, where: str) -> None:
    if isinstance(first, torch.Tensor):
        assert torch.equal(first, second), f"{where} differs"
    elif isinstance(first, dict):
        assert first.keys() == second.keys(), where
        for key in first:
            assert_equal(first[key], second[key], f"{where}.{key}")
    elif isinstance(first, list | tuple):
        assert len(first) == len(second), where
        for index, (a, b) in enumerate(zip(first, second, strict=True)):
            assert_equal(a, b, f"{where}[{index}]")
    else:
        assert first == second, f"{where}: {first!r} != {second!r}"
