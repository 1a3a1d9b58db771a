"""Built-in segmentation data, made on the fly: photo-textured shapes on photo backgrounds.

No installable package ships natural photos with masks, so the zero-setup segmentation data is
synthetic, and exact: each scene is a random crop of a real sample photo (the background) with
1..``max_shapes`` ellipses, rectangles and triangles pasted on it, each filled with a strongly
zoomed crop of another photo. Every fill's per-channel mean is moved to the background's mean
(plus a little noise), so brightness alone does not give a shape away: a network has to use
edges and texture. The task logs how far an Otsu intensity threshold gets, to show that.

Masks are exact: class 1/2/3 for ellipse/rectangle/triangle (``num_classes=4``), or 1 for any
shape (``num_classes=2``); later shapes occlude earlier ones.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch.utils.data import Dataset
from torchvision.transforms.v2 import functional as TF

from colorization.data.draws import integer, uniform

SHAPE_CLASSES = ("ellipse", "rectangle", "triangle")  # mask values 1, 2, 3; 0 = background


def random_crop(
    photo: torch.Tensor, size: int, scale: tuple[float, float], generator: torch.Generator
) -> torch.Tensor:
    """A square crop covering ``scale`` of the photo's shorter side squared, resized to
    ``size``; the crop is drawn from ``generator`` (reproducible per scene)."""
    height, width = photo.shape[-2:]
    side = max(1, round(min(height, width) * math.sqrt(uniform(generator, *scale))))
    top = integer(generator, 0, height - side)
    left = integer(generator, 0, width - side)
    return TF.resized_crop(photo, top, left, side, side, [size, size], antialias=True)


def shape_mask(kind: str, size: int, generator: torch.Generator) -> torch.Tensor:
    """A (size, size) bool mask of one randomly placed, sized and rotated shape."""
    coords = (torch.arange(size, dtype=torch.float32) + 0.5) / size
    y, x = torch.meshgrid(coords, coords, indexing="ij")
    cx, cy = uniform(generator, 0.2, 0.8), uniform(generator, 0.2, 0.8)
    radius = uniform(generator, 0.1, 0.28)
    angle = uniform(generator, 0.0, math.pi)
    u = (x - cx) * math.cos(angle) + (y - cy) * math.sin(angle)
    v = -(x - cx) * math.sin(angle) + (y - cy) * math.cos(angle)
    aspect = uniform(generator, 0.5, 1.0)
    if kind == "ellipse":
        return (u / radius) ** 2 + (v / (radius * aspect)) ** 2 <= 1
    if kind == "rectangle":
        return (u.abs() <= radius) & (v.abs() <= radius * aspect)
    if kind == "triangle":
        corners = [
            (
                radius * math.cos(angle + k * 2 * math.pi / 3),
                radius * math.sin(angle + k * 2 * math.pi / 3),
            )
            for k in range(3)
        ]
        px, py = x - cx, y - cy
        signs = []
        for (ax, ay), (bx, by) in zip(corners, corners[1:] + corners[:1], strict=True):
            signs.append((bx - ax) * (py - ay) - (by - ay) * (px - ax) >= 0)
        return signs[0] & signs[1] & signs[2]
    raise ValueError(f"Unknown shape {kind!r}; known: {', '.join(SHAPE_CLASSES)}.")


def make_scene(
    photos: Sequence[torch.Tensor],
    size: int,
    generator: torch.Generator,
    max_shapes: int = 3,
    multiclass: bool = False,
) -> tuple[torch.Tensor, torch.Tensor]:
    """One scene: (uint8 image (3, size, size), int64 mask (size, size))."""
    pick = lambda: photos[integer(generator, 0, len(photos) - 1)]  # noqa: E731
    background = random_crop(pick(), size, (0.2, 1.0), generator).float()
    image = background.clone()
    mask = torch.zeros(size, size, dtype=torch.int64)
    mean = background.mean(dim=(1, 2), keepdim=True)
    for _ in range(integer(generator, 1, max_shapes)):
        class_index = integer(generator, 0, len(SHAPE_CLASSES) - 1)
        region = shape_mask(SHAPE_CLASSES[class_index], size, generator)
        fill = random_crop(pick(), size, (0.005, 0.03), generator).float()
        noise = torch.randn(3, 1, 1, generator=generator) * 12
        fill = fill - fill.mean(dim=(1, 2), keepdim=True) + mean + noise
        image = torch.where(region, fill, image)
        mask[region] = class_index + 1 if multiclass else 1
    return image.clamp(0, 255).round().to(torch.uint8), mask


class SyntheticShapesDataset(Dataset):
    """``length`` scenes from ``photos``. With ``seed`` set, scene ``i`` is always the same
    (validation); without, each access draws a new scene (training)."""

    def __init__(
        self,
        photos: Sequence[torch.Tensor],
        size: int,
        length: int,
        num_classes: int = 2,
        seed: int | None = None,
        max_shapes: int = 3,
    ) -> None:
        if num_classes not in (2, len(SHAPE_CLASSES) + 1):
            raise ValueError(
                f"The built-in shapes data has {len(SHAPE_CLASSES)} shape classes plus "
                f"background: set task.num_classes=2 (binary) or {len(SHAPE_CLASSES) + 1} "
                f"(multiclass), not {num_classes}; or give your own data.images/data.masks."
            )
        if not photos:
            raise ValueError("SyntheticShapesDataset needs at least one photo.")
        self.photos = list(photos)
        self.size, self.length, self.seed, self.max_shapes = size, length, seed, max_shapes
        self.multiclass = num_classes > 2

    def __len__(self) -> int:
        return self.length

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        generator = torch.Generator()
        if self.seed is None:
            generator.manual_seed(int(torch.randint(0, 2**62, ())))
        else:
            generator.manual_seed(self.seed * 1_000_003 + index)
        return make_scene(self.photos, self.size, generator, self.max_shapes, self.multiclass)
