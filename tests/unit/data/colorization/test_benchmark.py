"""Interactive-colorization test images: an image list selects a subset of a folder, and every
image is resized to the protocol's square."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from PIL import Image

from colorization.data.colorization.benchmark import SquareResized, listed_images


def folder(tmp_path: Path) -> Path:
    for name in ("n01/a.JPEG", "n01/b.JPEG", "n02/c.JPEG"):
        path = tmp_path / "val" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.new("RGB", (40, 30), (200, 30, 10)).save(path, format="JPEG")
    return tmp_path / "val"


def test_a_list_selects_its_images_in_its_order(tmp_path: Path) -> None:
    root = folder(tmp_path)
    listing = tmp_path / "ctest.txt"
    listing.write_text("# ctest10k\nn02/c.JPEG 7\n\nn01/a.JPEG\n")
    assert listed_images(root, listing) == [root / "n02/c.JPEG", root / "n01/a.JPEG"]
    assert len(listed_images(root, None)) == 3


def test_listed_images_that_are_not_there_stop_naming_the_first(tmp_path: Path) -> None:
    root = folder(tmp_path)
    listing = tmp_path / "ctest.txt"
    listing.write_text("n01/a.JPEG\nn09/z.JPEG\nn09/y.JPEG\n")
    with pytest.raises(FileNotFoundError, match=r"2 of the 3 images .* \(the first: n09/z.JPEG\)"):
        listed_images(root, listing)
    with pytest.raises(FileNotFoundError, match="image list .*nothing.txt does not exist"):
        listed_images(root, tmp_path / "nothing.txt")


def test_images_are_resized_to_the_square_whatever_their_shape(tmp_path: Path) -> None:
    root = folder(tmp_path)
    dataset = SquareResized(listed_images(root, None), 24)
    item = dataset[2]
    assert item["image"].shape == (3, 24, 24) and item["image"].dtype == torch.uint8
    assert item["index"] == 2 and dataset.item_name(2) == "c.JPEG"
    assert abs(int(item["image"][0].float().mean()) - 200) <= 3  # the colour survives
