"""colorization.data.file_checks: every bad file has a defined outcome before training."""

from __future__ import annotations

import logging
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from colorization.data.file_checks import check_file, scan_images
from colorization.data.images import load_rgb

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


def test_each_bad_file_has_its_outcome(tmp_path: Path) -> None:
    for name, (outcome, problem) in make_corpus(tmp_path).items():
        check = check_file(tmp_path / name, min_size=32)
        assert (check.outcome, check.problem.split(":")[0]) == (outcome, problem), name


def test_converted_files_load_as_8_bit_rgb(tmp_path: Path) -> None:
    make_corpus(tmp_path)
    for name in ("rgba.png", "deep.png"):
        image = load_rgb(tmp_path / name)
        assert image.dtype == torch.uint8 and image.shape == (3, 40, 48), name
        assert image.max() > 128  # 16-bit values scaled down, not clipped to 255


def test_one_summary_line_counts_everything(tmp_path: Path, caplog) -> None:
    make_corpus(tmp_path)
    paths = sorted(p for p in tmp_path.iterdir())
    with caplog.at_level(logging.WARNING):
        report = scan_images(paths, 32, tmp_path)
    assert len(report.kept) == 6  # 4 good + 2 converted
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 1
    assert "10 images" in lines[0] and "6 used" in lines[0]
    assert "4 skipped" in lines[0] and "2 converted" in lines[0]


def test_error_policy_names_files_and_the_fix(tmp_path: Path) -> None:
    make_corpus(tmp_path)
    with pytest.raises(ValueError, match=r"(?s)truncated\.jpg: truncated.*data\.bad_files=skip"):
        scan_images(sorted(tmp_path.iterdir()), 32, tmp_path, policy="error")


def test_a_folder_of_only_bad_files_fails_before_training(tmp_path: Path) -> None:
    (tmp_path / "a.png").write_text("nope")
    Image.fromarray(rgb()[..., 0]).save(tmp_path / "b.png")
    with pytest.raises(ValueError, match="No usable images.*1 unreadable, 1 grayscale"):
        scan_images(sorted(tmp_path.iterdir()), 32, tmp_path)
