"""Paired high/low-resolution folders in the DIV2K layout (Agustsson & Timofte, NTIRE 2017):

    <root>/HR/0001.png
    <root>/LR_bicubic/X2/0001x2.png      (X3/0001x3.png, X4/0001x4.png)

``root`` may also hold the split folders DIV2K ships (``DIV2K_train_HR``,
``DIV2K_train_LR_bicubic``): give ``hr_dir`` / ``lr_dir`` then. Every pair is checked from the
image headers before training: a missing LR file or an LR image that is not the HR size divided
by the scale (rounded down) stops with the files listed and the fix. Training cuts aligned
patches (an HR patch of ``image_size`` and the LR patch under it, the same flips and 90-degree
rotation); validation and test use whole images (batch 1).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from PIL import Image
from torch.utils.data import DataLoader, Dataset

from colorization.data.base import ImageDataModule
from colorization.data.images import file_listing, find_images, load_rgb, oriented_size, shown
from colorization.data.splits import holdout_split


@dataclass(frozen=True)
class ResolutionPair:
    high: Path
    low: Path


def div2k_pairs(
    root: str | Path, scale: int, hr_dir: str = "HR", lr_dir: str = "LR_bicubic"
) -> list[ResolutionPair]:
    """Each ``<root>/<hr_dir>/<name>.<ext>`` with ``<root>/<lr_dir>/X<scale>/<name>x<scale>.<ext>``
    (any image extension); missing LR files stop with the list and the fix."""
    root = Path(root)
    high_dir, low_dir = root / hr_dir, root / lr_dir / f"X{scale}"
    for folder, option in ((high_dir, "data.hr_dir"), (low_dir, "data.lr_dir")):
        if not folder.is_dir():
            raise FileNotFoundError(
                f"{shown(folder)} does not exist: data.root must hold {hr_dir}/ and "
                f"{lr_dir}/X{scale}/ (DIV2K's layout), or set {option}."
            )
    lows = {path.stem: path for path in find_images(low_dir, "data.lr_dir")}
    pairs, missing = [], []
    for high in find_images(high_dir, "data.hr_dir"):
        low = lows.get(f"{high.stem}x{scale}")
        if low is None:
            missing.append(f"{high.name}: no {high.stem}x{scale}.* in {shown(low_dir)}")
        else:
            pairs.append(ResolutionPair(high, low))
    if missing:
        raise FileNotFoundError(
            f"{len(missing)} HR images have no LR partner:{file_listing(missing)}\n"
            f"Add the LR files (<name>x{scale}.png), remove those HR images, or train from HR "
            "alone with data=superres (LR made on the fly)."
        )
    return pairs


def check_resolution_pairs(pairs: Sequence[ResolutionPair], scale: int, min_size: int) -> None:
    """Every LR image the HR size divided by ``scale`` (rounded down), and every HR image at
    least ``min_size`` on its shorter side; reads headers only."""
    wrong, small = [], []
    for pair in pairs:
        with Image.open(pair.high) as high, Image.open(pair.low) as low:
            high_size, low_size = oriented_size(high), oriented_size(low)
        expected = (high_size[0] // scale, high_size[1] // scale)
        if low_size != expected:
            wrong.append(
                f"{pair.low.name} {low_size}, for {pair.high.name} {high_size}: {expected}"
            )
        elif min(high_size) < min_size:
            small.append(f"{pair.high.name} {high_size}")
    if wrong:
        raise ValueError(
            f"{len(wrong)} LR images are not their HR image's size / {scale} (width, height):"
            f"{file_listing(wrong)}\nCheck task.scale (the LR folder is X{scale}), or re-make "
            "these LR images."
        )
    if small:
        raise ValueError(
            f"{len(small)} HR images are smaller than the training patch data.image_size="
            f"{min_size}:{file_listing(small)}\nLower data.image_size or remove these pairs."
        )


class ResolutionPairs(Dataset):
    """Items ``{"image": uint8 HR, "low": uint8 LR, "index"}``: aligned random patches of
    ``patch`` HR pixels (and flips, rotations), or whole images (``patch=None``)."""

    def __init__(
        self,
        pairs: Sequence[ResolutionPair],
        scale: int,
        patch: int | None = None,
        length: int | None = None,
    ) -> None:
        self.pairs, self.scale, self.patch = list(pairs), scale, patch
        self.length = length or len(self.pairs)

    def __len__(self) -> int:
        return self.length

    def __getitem__(self, index: int) -> dict[str, Any]:
        pair = self.pairs[index % len(self.pairs)]
        low = load_rgb(pair.low)
        high = load_rgb(pair.high)[..., : low.shape[-2] * self.scale, : low.shape[-1] * self.scale]
        if self.patch is not None:
            high, low = self.random_patches(high, low)
        return {"image": high, "low": low, "index": index}

    def item_name(self, index: int) -> str:
        return self.pairs[index % len(self.pairs)].high.name

    def random_patches(
        self, high: torch.Tensor, low: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """The same random region of both (LR patch ``patch / scale``), flips and rotation."""
        side = self.patch // self.scale
        top = int(torch.randint(0, low.shape[-2] - side + 1, ()))
        left = int(torch.randint(0, low.shape[-1] - side + 1, ()))
        low = low[:, top : top + side, left : left + side]
        s = self.scale
        high = high[:, top * s : (top + side) * s, left * s : (left + side) * s]
        flips = [dim for dim in (-1, -2) if torch.rand(()) < 0.5]
        turns = int(torch.randint(0, 4, ()))
        high, low = (torch.rot90(x.flip(flips), turns, (-2, -1)) for x in (high, low))
        return high.contiguous(), low.contiguous()


class Div2kDataModule(ImageDataModule):
    """Batches ``{"image": uint8 HR, "low": uint8 LR, "index"}`` from DIV2K-layout folders.

    Args:
        root: the folder holding ``hr_dir`` and ``lr_dir``.
        scale: which ``X<scale>`` LR folder (the task's scale).
        val_root: a separate validation folder in the same layout; otherwise ``val_fraction`` of
            the pairs are held out, reproducibly by ``split_seed``.
        image_size: the HR training patch (a multiple of ``scale``).
        val_batch_size: 1 by default: validation runs whole images, whose sizes differ.
    """

    test_set: Dataset | None = None

    def __init__(
        self,
        root: str,
        scale: int = 2,
        hr_dir: str = "HR",
        lr_dir: str = "LR_bicubic",
        val_root: str | None = None,
        test_root: str | None = None,
        val_batch_size: int | None = 1,
        **common: Any,
    ) -> None:
        if root is None:
            raise ValueError("data=div2k needs data.root: the folder holding HR/ and LR_bicubic/.")
        super().__init__(val_batch_size=val_batch_size, **common)
        if self.hparams.image_size % scale:
            raise ValueError(
                f"data.image_size={self.hparams.image_size} must be a multiple of the scale "
                f"({scale}): the LR patch is image_size / scale."
            )

    def _pairs(self, root: str) -> list[ResolutionPair]:
        hp = self.hparams
        return div2k_pairs(root, hp.scale, hp.hr_dir, hp.lr_dir)

    def setup(self, stage: str | None = None) -> None:
        if self.train_set is not None:
            return
        hp = self.hparams
        pairs = self._pairs(hp.root)
        if hp.val_root is not None:
            train, val = pairs, self._pairs(hp.val_root)
        else:
            fix = "Add pairs or give data.val_root."
            train, val = holdout_split(
                pairs, lambda pair: str(pair.high), hp.val_fraction, hp.split_seed, "pairs", fix
            )
        check_resolution_pairs(train, hp.scale, hp.image_size)
        check_resolution_pairs(val, hp.scale, hp.scale)
        self.train_set = ResolutionPairs(
            train, hp.scale, hp.image_size, length=hp.train_samples_per_epoch
        )
        self.val_set = ResolutionPairs(val, hp.scale)
        if hp.test_root is not None:
            self.test_set = ResolutionPairs(self._pairs(hp.test_root), hp.scale)

    def test_dataloader(self) -> DataLoader:
        test_set = self.test_set if self.test_set is not None else self.val_set
        return self._loader(test_set, self.hparams.val_batch_size or 1, shuffle=False)
