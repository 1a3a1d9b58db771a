"""Paired image folders (input / target with matching names), their checks, and joint patches.

Layout: ``inputs/<name>.<ext>`` with ``targets/<name>.<ext>`` (the extension may differ). Where
the names differ by one word, as in the flare competition (``train_input_10000.png`` /
``train_label_10000.png``), ``name_map=[input, label]`` replaces that word. Every pair is checked
before training (readable, same size, large enough for a training patch) and every problem is
reported with the files and the fix.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import torch
from PIL import Image
from torch.utils.data import Dataset

from colorization.data.images import (
    DEFAULT_MAX_PIXELS,
    file_listing,
    find_images,
    load_rgb,
    oriented_size,
    too_large,
)


@dataclass(frozen=True)
class ImagePair:
    input: Path
    target: Path


def suggest_name_map(input_stem: str, target_stem: str) -> tuple[str, str] | None:
    """The differing middle of two names, e.g. ``("input", "label")`` for ``train_input_1`` and
    ``train_label_1``; ``None`` when they share no prefix or suffix."""
    prefix = os.path.commonprefix([input_stem, target_stem])
    suffix = os.path.commonprefix([input_stem[::-1], target_stem[::-1]])[::-1]
    if not prefix and not suffix:
        return None
    end_in, end_target = len(input_stem) - len(suffix), len(target_stem) - len(suffix)
    old, new = input_stem[len(prefix) : end_in], target_stem[len(prefix) : end_target]
    return (old, new) if old else None


def pair_inputs_and_targets(
    inputs: str | Path, targets: str | Path, name_map: Sequence[str] | None = None
) -> list[ImagePair]:
    """Match every image under ``inputs`` with the image of the same name (after ``name_map``'s
    replacement, and ignoring the extension) under ``targets``."""
    if name_map is not None and len(name_map) != 2:
        raise ValueError(
            f"data.name_map must be [word in input names, word in target names], "
            f"got {list(name_map)}."
        )
    input_paths = find_images(inputs)
    target_paths = find_images(targets)
    found = {path.stem: path for path in target_paths}

    def target_stem(path: Path) -> str:
        return path.stem.replace(name_map[0], name_map[1]) if name_map else path.stem

    pairs, missing = [], []
    for path in input_paths:
        target = found.get(target_stem(path))
        if target is None:
            missing.append(path.name)
        else:
            pairs.append(ImagePair(path, target))
    if missing:
        fix = "Give the targets the same names as their inputs"
        suggestion = suggest_name_map(input_paths[0].stem, target_paths[0].stem)
        if suggestion is not None and not name_map:
            fix += f", or set data.name_map='[{suggestion[0]},{suggestion[1]}]'"
        raise FileNotFoundError(
            f"{len(missing)} of {len(input_paths)} images under {inputs} have no target of the "
            f"same name under {targets}:{file_listing(missing)}\nTargets there are named like "
            f"{target_paths[0].name!r}. {fix}, or remove the unpaired inputs."
        )
    return pairs


def check_image_pairs(
    pairs: Sequence[ImagePair], min_size: int, max_pixels: int = DEFAULT_MAX_PIXELS
) -> None:
    """Every pair readable, input and target the same size, both sides >= ``min_size``, at most
    ``max_pixels``; reads headers only."""
    unreadable, mismatched, small, large = [], [], [], []
    for pair in pairs:
        sizes = []
        for path in (pair.input, pair.target):
            try:
                with Image.open(path) as image:
                    sizes.append(oriented_size(image))
            except Exception as error:  # PIL raises many types for non-images
                unreadable.append(f"{path}: {type(error).__name__}")
        if len(sizes) < 2:
            continue
        if sizes[0] != sizes[1]:
            mismatched.append(f"{pair.input.name} {sizes[0]} vs {pair.target.name} {sizes[1]}")
        elif min(sizes[0]) < min_size:
            small.append(f"{pair.input.name} {sizes[0]}")
        elif too_large(*sizes[0], max_pixels):
            large.append(f"{pair.input.name} {sizes[0]}")
    if unreadable:
        raise ValueError(
            f"{len(unreadable)} paired images cannot be read:{file_listing(unreadable)}\n"
            "Re-save them as PNG/JPEG or remove them with their partners."
        )
    if mismatched:
        raise ValueError(
            f"{len(mismatched)} input/target pairs differ in size (width, height):"
            f"{file_listing(mismatched)}\nInputs and targets must be aligned pixel for pixel: "
            "fix or remove these pairs."
        )
    if large:
        raise ValueError(
            f"{len(large)} pairs have more than data.max_pixels={max_pixels} pixels:"
            f"{file_listing(large)}\nRaise data.max_pixels, or downscale these pairs."
        )
    if small:
        raise ValueError(
            f"{len(small)} pairs are smaller than the training patch data.image_size="
            f"{min_size}:{file_listing(small)}\nLower data.image_size or remove these pairs."
        )


class PairedImages(Dataset):
    """Decoded (input, target) uint8 (3, H, W) pairs, optionally cached in memory."""

    def __init__(self, pairs: Sequence[ImagePair], cache: bool = False) -> None:
        self.pairs = list(pairs)
        self._cache = [self._load(i) for i in range(len(self.pairs))] if cache else None

    def _load(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        pair = self.pairs[index]
        return load_rgb(pair.input), load_rgb(pair.target)

    def __len__(self) -> int:
        return len(self.pairs)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        return self._cache[index] if self._cache is not None else self._load(index)


def random_patch_pair(
    source: torch.Tensor, target: torch.Tensor, size: int, rotate90: bool = True
) -> tuple[torch.Tensor, torch.Tensor]:
    """The same random ``size`` x ``size`` crop, flips and 90-degree rotation of both images
    (drawn from torch's global generator, which Lightning seeds per worker)."""
    both = torch.cat([source, target])  # one tensor: every transform hits both alike
    height, width = both.shape[-2:]
    top = int(torch.randint(0, height - size + 1, ()))
    left = int(torch.randint(0, width - size + 1, ()))
    both = both[:, top : top + size, left : left + size]
    if torch.rand(()) < 0.5:
        both = both.flip(-1)
    if torch.rand(()) < 0.5:
        both = both.flip(-2)
    if rotate90:
        both = torch.rot90(both, int(torch.randint(0, 4, ())), dims=(-2, -1))
    both = both.contiguous()
    return both[: len(source)], both[len(source) :]


class PairPatches(Dataset):
    """Items ``{"input": uint8 (3, H, W), "target": uint8 (3, H, W), "index": int}`` from a
    dataset of (input, target) pairs: random patches (``patch`` set) or whole images.

    With ``patches_per_image`` k > 1 each item holds k patches of one decoded pair, stacked
    (``(k, 3, P, P)``, ``index`` (k,)); :func:`flatten_patches` collates them into one batch.
    Decoding a 12-megapixel PNG takes far longer than cutting a patch from it, so this is how
    large photos keep a GPU fed.
    """

    def __init__(
        self,
        source: Dataset,
        patch: int | None = None,
        rotate90: bool = True,
        length: int | None = None,
        patches_per_image: int = 1,
    ) -> None:
        if patches_per_image < 1:
            raise ValueError(f"data.patches_per_image must be >= 1, got {patches_per_image}.")
        self.source, self.patch, self.rotate90 = source, patch, rotate90
        self.length = length or len(source)
        self.patches_per_image = patches_per_image

    def __len__(self) -> int:
        return self.length

    def item_name(self, index: int) -> str:
        pairs = getattr(self.source, "pairs", None)
        return pairs[index % len(pairs)].input.name if pairs else f"#{index}"

    def __getitem__(self, index: int) -> dict[str, torch.Tensor | int]:
        source, target = self.source[index % len(self.source)]
        if self.patch is None:
            return {"input": source, "target": target, "index": index}
        if self.patches_per_image == 1:
            source, target = random_patch_pair(source, target, self.patch, self.rotate90)
            return {"input": source, "target": target, "index": index}
        patches = [
            random_patch_pair(source, target, self.patch, self.rotate90)
            for _ in range(self.patches_per_image)
        ]
        first = index * self.patches_per_image
        return {
            "input": torch.stack([patch for patch, _ in patches]),
            "target": torch.stack([patch for _, patch in patches]),
            "index": torch.arange(first, first + self.patches_per_image),
        }


def flatten_patches(items: list[dict[str, torch.Tensor]]) -> dict[str, torch.Tensor]:
    """Collate items of k stacked patches each into one batch of ``len(items) * k`` patches."""
    return {key: torch.cat([item[key] for item in items]) for key in items[0]}
