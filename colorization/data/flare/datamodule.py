"""LightningDataModule for flare removal: paired folders, or flare composited on the fly.

Training takes random patches (flips and 90-degree rotations applied to input and target alike);
validation takes whole images, of any size (the task runs them in blended tiles), so the
validation loader's batch size defaults to 1.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch.utils.data import DataLoader, Dataset
from torchvision.transforms import v2
from torchvision.transforms.v2 import functional as TF

from colorization.data.base import ImageDataModule, both_or_neither
from colorization.data.flare.pairs import (
    PairedImages,
    PairPatches,
    check_image_pairs,
    flatten_patches,
    pair_inputs_and_targets,
)
from colorization.data.flare.synth import DEFAULT_STYLE, FlareStyle, add_flare
from colorization.data.sample_photos import sample_split
from colorization.data.splits import holdout_split


class SyntheticFlareScenes(Dataset):
    """(flared, clean) uint8 pairs made from clean photos.

    Training (``seed=None``): ``length`` scenes, each a random square crop (area 30-100 % of the
    photo, resized to ``scene_size``) with a fresh random flare, drawn from torch's generator.
    Validation (``seed`` set): ``length`` images cycling through the photos, each photo whole,
    its shorter side resized to ``scene_size``, image ``i`` with a fixed flare from seed
    ``(seed, i)``.
        ``common``: image size, batch sizes, workers, hold-out split, samples per epoch,
            cache, pinned memory; see :class:`~colorization.data.base.ImageDataModule`.
    """

    def __init__(
        self,
        photos: Sequence[torch.Tensor],
        scene_size: int,
        length: int,
        seed: int | None = None,
        style: FlareStyle = DEFAULT_STYLE,
    ) -> None:
        if not photos:
            raise ValueError("Synthetic flare scenes need at least one photo.")
        self.photos, self.scene_size, self.length = list(photos), scene_size, length
        self.seed, self.style = seed, style
        self.crop = v2.RandomResizedCrop(scene_size, scale=(0.3, 1.0), antialias=True)

    def __len__(self) -> int:
        return self.length

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        if self.seed is None:
            clean = self.crop(self.photos[index % len(self.photos)])
            seed = int(torch.randint(0, 2**62, ()))
        else:
            photo = self.photos[index % len(self.photos)]
            clean = TF.resize(photo, self.scene_size, antialias=True)
            seed = self.seed * 1_000_003 + index
        flared = add_flare(clean, torch.Generator().manual_seed(seed), self.style)
        return flared, clean


class FlareDataModule(ImageDataModule):
    """Batches ``{"input": uint8 (B, 3, H, W) flared, "target": uint8 clean, "index": (B,)}``.

    Args:
        inputs / targets: folders of flared photos and of their clean versions (matching names;
            see :mod:`colorization.data.flare.pairs`). ``None`` = flare composited on the built-in
            sample photos (:mod:`colorization.data.flare.synth`).
        val_inputs / val_targets: optional separate validation folders; otherwise
            ``val_fraction`` of the pairs are held out, reproducibly by ``split_seed``.
        name_map: ``[word, replacement]`` turning an input name into its target's name.
        scene_size: synthetic data only: the photos' scale (training crops' side, validation
            photos' shorter side).
        rotate90: random 90-degree rotations of training patches (besides both flips).
        patches_per_image: patches cut from each decoded pair or synthetic scene (must
            divide ``batch_size``); > 1 for large photos, whose decoding dominates loading.
        val_samples: synthetic data only: fixed flared validation images (spread over the
            held-out photos).
        val_batch_size: 1 by default: validation runs whole images, whose sizes differ.
    """

    def __init__(
        self,
        inputs: str | None = None,
        targets: str | None = None,
        val_inputs: str | None = None,
        val_targets: str | None = None,
        name_map: Sequence[str] | None = None,
        scene_size: int = 256,
        val_batch_size: int | None = 1,
        rotate90: bool = True,
        patches_per_image: int = 1,
        val_samples: int = 16,
        **common: Any,
    ) -> None:
        both_or_neither(
            "inputs",
            inputs,
            "targets",
            targets,
            " for flare composited on the built-in photos "
            "(folders of flared images and of their clean versions)",
        )
        both_or_neither("val_inputs", val_inputs, "val_targets", val_targets, "")
        if val_samples < 1:
            raise ValueError(f"data.val_samples must be >= 1, got {val_samples}.")
        name_map = [str(word) for word in name_map] if name_map is not None else None
        super().__init__(val_batch_size=val_batch_size, **common)
        hp = self.hparams
        if inputs is None and scene_size < hp.image_size:
            raise ValueError(
                f"data.scene_size={scene_size} must be >= data.image_size={hp.image_size} "
                "(patches are cut from the scenes)."
            )
        if patches_per_image < 1 or hp.batch_size % patches_per_image:
            raise ValueError(
                f"data.patches_per_image={patches_per_image} must be >= 1 and divide "
                f"data.batch_size={hp.batch_size} (a batch holds whole images' patches)."
            )

    @property
    def synthetic(self) -> bool:
        return self.hparams.inputs is None

    def setup(self, stage: str | None = None) -> None:
        if self.train_set is not None:
            return
        hp = self.hparams
        train, val = self._synthetic_scenes() if self.synthetic else self._folder_pairs()
        self.train_set = PairPatches(
            train,
            hp.image_size,
            hp.rotate90,
            length=max(1, hp.train_samples_per_epoch // hp.patches_per_image),
            patches_per_image=hp.patches_per_image,
        )
        self.val_set = PairPatches(val)

    def _synthetic_scenes(self) -> tuple[Dataset, Dataset]:
        """(train, val) flared/clean scenes made from the built-in photos."""
        hp = self.hparams
        train_photos, val_photos = ([p.load() for p in split] for split in sample_split())
        train = SyntheticFlareScenes(train_photos, hp.scene_size, hp.train_samples_per_epoch)
        val = SyntheticFlareScenes(val_photos, hp.scene_size, hp.val_samples, hp.split_seed)
        return train, val

    def _folder_pairs(self) -> tuple[Dataset, Dataset]:
        """(train, val) decoded pairs from the folders, checked before training."""
        hp = self.hparams
        pairs = pair_inputs_and_targets(hp.inputs, hp.targets, hp.name_map)
        if hp.val_inputs is not None:
            train_pairs = pairs
            val_pairs = pair_inputs_and_targets(hp.val_inputs, hp.val_targets, hp.name_map)
        else:
            fix = "Add pairs or give data.val_inputs and data.val_targets."
            train_pairs, val_pairs = holdout_split(
                pairs, lambda pair: str(pair.input), hp.val_fraction, hp.split_seed, "pairs", fix
            )
        check_image_pairs(train_pairs, hp.image_size, hp.max_pixels)
        check_image_pairs(val_pairs, 1, hp.max_pixels)
        cache = bool(hp.cache)
        return PairedImages(train_pairs, cache), PairedImages(val_pairs, cache)

    def train_dataloader(self) -> DataLoader:
        per_image = self.train_set.patches_per_image
        if per_image == 1:
            return super().train_dataloader()
        images = max(1, self.hparams.batch_size // per_image)
        return self._loader(self.train_set, images, shuffle=True, collate_fn=flatten_patches)
