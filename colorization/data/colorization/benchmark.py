"""Test images as the interactive-colorization papers use them: every image resized to a square
of ``size`` pixels (Zhang et al. 2017: 256; iColoriT, Yun et al. 2023: 224), optionally the
subset of a folder that an image list names (ImageNet's ``ctest10k``: one path per line,
relative to the folder)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from torch.utils.data import Dataset
from torchvision.transforms.v2 import functional as TF

from colorization.data.images import find_images, load_rgb, shown

# An image list larger than this is refused before it is read (10k lines take ~0.4 MB).
MAX_LIST_BYTES = 16 * 2**20


def listed_images(root: str | Path, image_list: str | Path | None) -> list[Path]:
    """The images under ``root``, or those ``image_list`` names (lines relative to ``root``;
    blank lines and ``#`` comments skipped); listed files that are not there stop with the
    first of them named."""
    root = Path(root).expanduser()
    if image_list is None:
        return find_images(root, "data.test_root")
    listing = Path(image_list).expanduser()
    if not listing.is_file():
        raise FileNotFoundError(
            f"The image list {shown(listing)} does not exist: give data.test_list=<a text file "
            "of image paths relative to data.test_root>, or leave it out to test every image."
        )
    if listing.stat().st_size > MAX_LIST_BYTES:
        raise ValueError(
            f"The image list {shown(listing)} is larger than {MAX_LIST_BYTES // 2**20} MiB: it "
            "should hold one image path per line."
        )
    lines = listing.read_text(encoding="utf-8", errors="replace").splitlines()
    names = [line.strip().split()[0] for line in lines if line.strip() and line[0] != "#"]
    paths = [root / name for name in names]
    missing = [name for name, path in zip(names, paths, strict=True) if not path.is_file()]
    if missing:
        raise FileNotFoundError(
            f"{len(missing)} of the {len(names)} images {shown(listing)} lists are not under "
            f"{shown(root)} (the first: {missing[0]}): check data.test_root and the list."
        )
    if not paths:
        raise ValueError(f"The image list {shown(listing)} names no image.")
    return paths


class SquareResized(Dataset):
    """Items ``{"image": uint8 (3, size, size), "index"}``: each image of ``images`` (a dataset
    of ``{"image", ...}`` items, or paths) resized to ``size`` x ``size``, bilinear with
    antialiasing (torchvision's ``Resize``, which those papers' loaders use)."""

    def __init__(self, images: Dataset | list[Path], size: int) -> None:
        self.images, self.size = images, size

    def __len__(self) -> int:
        return len(self.images)  # type: ignore[arg-type]

    def __getitem__(self, index: int) -> dict[str, Any]:
        item = self.images[index]
        image = load_rgb(item) if isinstance(item, Path) else item["image"]
        resized = TF.resize(image, [self.size, self.size], antialias=True)
        return {"image": resized, "index": index}

    def item_name(self, index: int) -> str:
        if isinstance(self.images, list):
            return self.images[index].name
        name_of = getattr(self.images, "item_name", None)
        return name_of(index) if name_of else f"#{index}"
