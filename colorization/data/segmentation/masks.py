"""Image/mask pairs from folders (the common Kaggle layout), their checks, and joint transforms.

Layout: ``images/<stem>.<ext>`` and ``masks/<stem><mask_suffix>.<ext>`` (e.g. ``_mask``). Masks
are 0/255 or 0/1 PNG/GIF for binary tasks, index PNGs (values 0..num_classes-1, palette PNGs
too) for multiclass; ``ignore_index`` pixels count nowhere. Every problem a pair can have is
found before training starts and reported with the files and the fix.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch.utils.data import Dataset
from torchvision import tv_tensors
from torchvision.transforms import v2

from colorization.data.images import (
    DEFAULT_MAX_PIXELS,
    IMAGE_EXTENSIONS,
    file_listing,
    find_images,
    load_rgb,
    oriented_size,
    shown,
    too_large,
    upright,
)
from colorization.data.splits import holdout_split

MASK_EXTENSIONS = (*IMAGE_EXTENSIONS, ".gif")
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class MaskPair:
    image: Path
    mask: Path


def detected_mask_suffix(image_stems: list[str], mask_stems: dict[str, Path]) -> str:
    """The one suffix that names every image's mask (``car000`` -> ``car000_mask``), where the
    images do not match their masks by name alone; ``""`` where there is none or several."""
    if not image_stems or all(stem in mask_stems for stem in image_stems):
        return ""
    first = image_stems[0]
    candidates = {m[len(first) :] for m in mask_stems if m.startswith(first) and m != first}
    fitting = [
        suffix
        for suffix in sorted(candidates)
        if all(stem + suffix in mask_stems for stem in image_stems)
    ]
    if len(fitting) != 1:
        return ""
    suffix = fitting[0]
    example = mask_stems[first + suffix].name
    log.info(
        "Masks are named <image stem>%s (e.g. %s): using data.mask_suffix=%s.",
        suffix,
        shown(example),
        suffix,
    )
    return suffix


def pair_images_and_masks(
    images: str | Path, masks: str | Path, mask_suffix: str = ""
) -> list[MaskPair]:
    """Match every image under ``images`` with ``<stem><mask_suffix>.*`` under ``masks``."""
    masks_root = Path(masks).expanduser()
    if not masks_root.is_dir():
        raise FileNotFoundError(
            f"Mask folder {masks_root} does not exist. Set data.masks to the folder of masks."
        )
    found = {
        p.stem: p for p in sorted(masks_root.rglob("*")) if p.suffix.lower() in MASK_EXTENSIONS
    }
    image_paths = find_images(images, option="data.images")
    if not mask_suffix:
        mask_suffix = detected_mask_suffix([path.stem for path in image_paths], found)
    pairs, missing = [], []
    for image in image_paths:
        mask = found.get(image.stem + mask_suffix)
        if mask is None:
            missing.append(image.name)
        else:
            pairs.append(MaskPair(image, mask))
    if missing:
        example = next(iter(found), None)
        hint = f" Masks there are named like {example!r}." if example else " That folder is empty."
        raise FileNotFoundError(
            f"{len(missing)} of {len(missing) + len(pairs)} images under {images} have no mask "
            f"named <image stem>{mask_suffix}.<ext> under {masks_root}:{file_listing(missing)}\n"
            f"{hint} Set data.mask_suffix (e.g. data.mask_suffix=_mask) to match, or remove "
            "the images without masks."
        )
    return pairs


def read_mask(path: str | Path) -> np.ndarray:
    """The mask's values as a (H, W) integer array; grey-as-RGB masks use their first channel."""
    with Image.open(path) as stored:
        opened = upright(stored)  # the same EXIF orientation as load_rgb gives its image
        if opened.mode in ("RGB", "RGBA"):
            array = np.asarray(opened.convert("RGB"))
            if not (array == array[..., :1]).all():
                raise ValueError(
                    f"Mask {path} is a colour image. Save masks as single-channel PNGs whose "
                    "values are class indices (or 0/255 for binary)."
                )
            return array[..., 0].astype(np.int64)
        return np.asarray(opened).astype(np.int64)


def to_class_indices(values: np.ndarray, num_classes: int, ignore_index: int | None) -> np.ndarray:
    """Binary masks: anything > 0 is foreground (0/1 and 0/255 alike); multiclass: as is."""
    if num_classes != 2:
        return values
    foreground = (values > 0).astype(np.int64)
    if ignore_index is not None:
        foreground[values == ignore_index] = ignore_index
    return foreground


def check_pairs(
    pairs: Sequence[MaskPair],
    num_classes: int,
    ignore_index: int | None,
    max_pixels: int = DEFAULT_MAX_PIXELS,
) -> None:
    """Sizes match and mask values are valid classes, for every pair, before training.

    Decodes every mask once (masks are small); images are only opened for their size.
    """
    mismatched, bad_values = [], []
    allowed = {0, 1, 255} if num_classes == 2 else set(range(num_classes))
    if ignore_index is not None:
        allowed.add(ignore_index)
    for pair in pairs:
        with Image.open(pair.image) as image, Image.open(pair.mask) as mask:
            image_size, mask_size = oriented_size(image), oriented_size(mask)
        if problem := too_large(*image_size, max_pixels):
            raise ValueError(f"{shown(pair.image)}: {problem}.")
        if image_size != mask_size:
            mismatched.append(
                f"{shown(pair.image.name)} {image_size} vs {shown(pair.mask.name)} {mask_size}"
            )
            continue
        values = set(np.unique(read_mask(pair.mask)).tolist())
        if num_classes == 2 and ignore_index not in (1, 255) and {1, 255} <= values:
            bad_values.append(f"{pair.mask.name}: both 1 and 255")
        elif not values <= allowed:
            extra = sorted(values - allowed)
            bad_values.append(f"{pair.mask.name}: values {extra[:5]}")
    if mismatched:
        raise ValueError(
            f"{len(mismatched)} image/mask pairs differ in size (width, height):"
            f"{file_listing(mismatched)}\nResize the masks to their images (nearest neighbour)."
        )
    if bad_values:
        expected = (
            "0 and 1 (or 0 and 255)" if num_classes == 2 else f"class indices 0..{num_classes - 1}"
        )
        ignore = f" or {ignore_index} (ignored)" if ignore_index is not None else ""
        raise ValueError(
            f"{len(bad_values)} masks hold values outside the classes (expected {expected}"
            f"{ignore}):{file_listing(bad_values)}\nSet task.num_classes / task.ignore_index to "
            "match, or fix the masks (JPEG masks carry compression noise: save them as PNG)."
        )


def split_pairs(
    pairs: Sequence[MaskPair], val_fraction: float, seed: int
) -> tuple[list[MaskPair], list[MaskPair]]:
    """Hold out ``val_fraction`` of the pairs, reproducibly by ``seed``."""
    fix = "Add data or give data.val_images and data.val_masks."
    what = "image/mask pairs"
    return holdout_split(pairs, lambda pair: str(pair.image), val_fraction, seed, what, fix)


class MaskPairDataset(Dataset):
    """Decoded (image uint8 (3, H, W), mask int64 (H, W)) pairs, optionally cached."""

    def __init__(
        self,
        pairs: Sequence[MaskPair],
        num_classes: int,
        ignore_index: int | None,
        cache: bool = False,
    ) -> None:
        self.pairs = list(pairs)
        self.num_classes, self.ignore_index = num_classes, ignore_index
        self._cache = [self._load(i) for i in range(len(self.pairs))] if cache else None

    def _load(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        pair = self.pairs[index]
        mask = to_class_indices(read_mask(pair.mask), self.num_classes, self.ignore_index)
        return load_rgb(pair.image), torch.from_numpy(mask)

    def __len__(self) -> int:
        return len(self.pairs)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        return self._cache[index] if self._cache is not None else self._load(index)


def train_transform(
    size: int, scale: tuple[float, float], rotation: float, vflip: bool, ignore_index: int | None
) -> v2.Transform:
    """Random resized crop, flips and rotation, applied identically to image and mask
    (torchvision v2 resamples ``tv_tensors.Mask`` with nearest neighbour)."""
    fill = {tv_tensors.Image: 0, tv_tensors.Mask: 0 if ignore_index is None else ignore_index}
    steps: list[v2.Transform] = [
        v2.RandomResizedCrop(size, scale=scale, antialias=True),
        v2.RandomHorizontalFlip(),
    ]
    if vflip:
        steps.append(v2.RandomVerticalFlip())
    if rotation:
        steps.append(v2.RandomRotation(rotation, fill=fill))
    return v2.Compose(steps)


def eval_transform(size: int) -> v2.Transform:
    return v2.Compose([v2.Resize(size, antialias=True), v2.CenterCrop(size)])


class SegmentationPairs(Dataset):
    """Applies a joint transform to a dataset of (image, mask) pairs; items are dicts
    ``{"image": uint8 (3, S, S), "mask": int64 (S, S), "index": int}``."""

    def __init__(self, source: Dataset, transform: v2.Transform | None, length: int | None = None):
        self.source, self.transform = source, transform
        self.length = length or len(source)

    def __len__(self) -> int:
        return self.length

    def item_name(self, index: int) -> str:
        pairs = getattr(self.source, "pairs", None)
        return pairs[index % len(pairs)].image.name if pairs else f"#{index}"

    def __getitem__(self, index: int) -> dict[str, torch.Tensor | int]:
        image, mask = self.source[index % len(self.source)]
        if self.transform is not None:
            image, mask = self.transform(tv_tensors.Image(image), tv_tensors.Mask(mask))
        return {
            "image": image.as_subclass(torch.Tensor).contiguous(),
            "mask": mask.as_subclass(torch.Tensor).long().contiguous(),
            "index": index,
        }
