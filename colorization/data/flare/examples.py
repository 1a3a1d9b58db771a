"""Save a grid of built-in photos with procedural flare: ``python -m
colorization.data.flare.examples out.png`` (rows of clean | flared pairs)."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

import torch
from torchvision.transforms.v2 import functional as TF
from torchvision.utils import make_grid, save_image

from colorization.data.flare.synth import add_flare
from colorization.data.sample_photos import sample_photos


def example_grid(count: int = 4, size: int = 256, seed: int = 0) -> torch.Tensor:
    """(3, H, W) float image: clean | flared for ``count`` built-in photos, two pairs a row."""
    images = []
    generator = torch.Generator().manual_seed(seed)
    for photo in sample_photos()[:count]:
        clean = TF.center_crop(TF.resize(photo.load(), size, antialias=True), size)
        images += [clean, add_flare(clean, generator)]
    return make_grid(torch.stack(images).float() / 255, nrow=4, padding=2, pad_value=1.0)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Save examples of the procedural flare.")
    parser.add_argument("output", help="PNG file to write")
    parser.add_argument("--count", type=int, default=4, help="photos (clean | flared each)")
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    save_image(example_grid(args.count, args.size, args.seed), args.output)
    print(f"Wrote {args.output}")


if __name__ == "__main__":
    main()
