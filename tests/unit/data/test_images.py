"""colorization.data.images: finding and decoding image files, with errors that name them."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import torch
from helpers import write_images
from PIL import Image

from colorization.data.file_checks import scan_images
from colorization.data.images import (
    IMAGE_EXTENSIONS,
    decoded_size,
    find_images,
    load_rgb,
    oriented_size,
    shown,
)


def test_find_images_is_recursive_sorted_and_filters_extensions(tmp_path: Path) -> None:
    written = write_images(tmp_path, 5)
    (tmp_path / "notes.txt").write_text("not an image")
    found = find_images(tmp_path)
    assert found == sorted(written)
    assert {p.suffix for p in found} <= set(IMAGE_EXTENSIONS)


@pytest.mark.parametrize("suffix", [".png", ".jpg", ".bmp", ".tif", ".webp"])
def test_load_rgb_decodes_every_format(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"x{suffix}"
    Image.fromarray(np.full((7, 9, 3), 200, dtype=np.uint8)).save(path)
    image = load_rgb(path)
    assert image.shape == (3, 7, 9) and image.dtype == torch.uint8


def test_unreadable_image_error_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "broken.png"
    path.write_bytes(b"definitely not a png")
    with pytest.raises(ValueError, match="broken.png"):
        load_rgb(path)


def test_missing_and_empty_folders_give_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="does not exist.*data.root"):
        find_images(tmp_path / "nope")
    with pytest.raises(FileNotFoundError, match="No images found"):
        find_images(tmp_path)


def test_exif_orientation_is_applied(tmp_path: Path) -> None:
    """A phone photo stored sideways with EXIF orientation 6 (turn 90 degrees clockwise)."""
    stored = np.zeros((20, 40, 3), np.uint8)  # 40 wide, 20 high as stored
    stored[:, :5] = 255  # a white band on the stored left edge
    exif = Image.Exif()
    exif[0x0112] = 6
    for suffix in (".jpg", ".png", ".tif"):
        path = tmp_path / f"phone{suffix}"
        Image.fromarray(stored).save(path, exif=exif)
        image = load_rgb(path)
        assert image.shape == (3, 40, 20), suffix  # shown upright: 20 wide, 40 high
        assert image[:, :5].float().mean() > 200, suffix  # the band is now on top
        with Image.open(path) as opened:
            assert oriented_size(opened) == (20, 40)


def test_names_that_are_not_utf8_are_found_read_and_printable(tmp_path: Path, caplog) -> None:
    folder = os.fsencode(tmp_path)
    name = os.path.join(folder, b"bad\xff.png")
    Image.fromarray(np.full((32, 32, 3), 128, np.uint8)).save(os.fsdecode(name))
    (path,) = find_images(tmp_path)
    assert load_rgb(path).shape == (3, 32, 32)
    report = scan_images([path], 16, tmp_path)
    assert report.kept == [path]
    assert "bad\\xff.png" in shown(path)
    shown(path).encode("utf-8")  # printable: this would raise for the raw name


def claimed_png(path: Path, width: int, height: int) -> Path:
    """A tiny PNG whose header claims ``width`` x ``height`` (no pixel data behind it)."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        return struct.pack(">I", len(data)) + kind + data + crc

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    body = chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b"")
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + body)
    return path


@pytest.mark.parametrize(
    ("size", "message"),
    [
        ((9000, 9000), "too large: 9000x9000 > data.max_pixels"),
        ((50000, 50000), "too large: .*bomb"),
    ],
)
def test_a_file_claiming_too_many_pixels_is_refused_before_decoding(
    tmp_path: Path, size: tuple[int, int], message: str
) -> None:
    """Decoding it would allocate gigabytes (or crash libpng); its header alone says no."""
    path = claimed_png(tmp_path / "claims.png", *size)
    with pytest.raises(ValueError, match=f"claims.png: {message}"):
        load_rgb(path)


@pytest.mark.parametrize("orientation", [1, 6])
@pytest.mark.parametrize(
    ("size", "min_side"), [((1001, 777), 128), ((1001, 777), None), ((90, 60), 64)]
)
def test_the_decoded_size_from_the_header_is_what_decoding_gives(
    tmp_path: Path, size: tuple[int, int], min_side: int | None, orientation: int
) -> None:
    """A JPEG decoded at a reduced scale, upright: the size prepare writes in the manifest."""
    pixels = np.random.default_rng(0).integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)
    exif = Image.Exif()
    exif[0x0112] = orientation
    path = tmp_path / "photo.jpg"
    Image.fromarray(pixels).save(path, exif=exif)
    image = load_rgb(path, min_side)
    assert decoded_size(path, min_side) == (image.shape[-1], image.shape[-2])
    with pytest.raises(ValueError, match="Could not read the header of"):
        decoded_size(tmp_path / "missing.jpg", min_side)
