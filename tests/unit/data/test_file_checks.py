"""colorization.data.file_checks: every bad file has a defined outcome before training."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
import torch
from helpers import make_corpus, rgb
from PIL import Image

from colorization.data.file_checks import check_file, scan_images
from colorization.data.images import load_rgb


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


def test_a_huge_image_is_stopped_by_the_size_guard_with_the_option_to_raise(tmp_path) -> None:
    huge = tmp_path / "huge.png"
    Image.new("RGB", (12000, 12000)).save(huge, compress_level=1)  # 144 megapixels
    check = check_file(huge, 64)
    assert check.outcome == "skipped"
    assert check.problem == (
        "too large: 12000x12000 > data.max_pixels=50000000 (raise it to use the file)"
    )
    assert check_file(huge, 64, max_pixels=200_000_000).outcome == "kept"


def test_a_large_jpeg_is_decoded_reduced_but_never_below_the_needed_side(tmp_path) -> None:
    path = tmp_path / "large.jpg"
    Image.new("RGB", (2400, 1800), (200, 30, 30)).save(path)
    assert load_rgb(path).shape == (3, 1800, 2400)
    reduced = load_rgb(path, min_side=400)
    assert reduced.shape[1] >= 400 and reduced.shape[1] < 1800  # JPEG's 1/2 or 1/4 scale
    assert reduced.shape[2] * 1800 == reduced.shape[1] * 2400  # same aspect
    assert load_rgb(path, min_side=1000).shape == (3, 1800, 2400)  # not twice as large: whole
