"""colorization.data.images: finding and decoding image files, with errors that name them."""

from pathlib import Path

import numpy as np
import pytest
import torch
from helpers import write_images
from PIL import Image

from colorization.data.images import IMAGE_EXTENSIONS, find_images, load_rgb


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
