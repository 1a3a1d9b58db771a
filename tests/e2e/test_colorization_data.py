"""Training on a folder of photos that holds bad files."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np
from PIL import Image

from colorization.data import ColorizationDataModule
from colorization.train import train

RNG = np.random.default_rng(0)


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


def test_training_runs_on_the_corpus(make_cfg, tmp_path: Path) -> None:
    corpus = tmp_path / "photos"
    make_corpus(corpus)
    trainer, _ = train(make_cfg(f"data.root={corpus}", "debug=fdr"))
    assert trainer.state.finished
    dm = ColorizationDataModule(root=str(corpus), image_size=32, num_workers=0)
    dm.setup()
    used = {Path(p.name).name for p in dm.train_set.photos + dm.val_set.photos}
    assert used == {"good0.jpg", "good1.jpg", "good2.jpg", "good.png", "rgba.png", "deep.png"}
