"""Datasets of photo crops: random crops for training, fixed views for validation.

Items are dicts ``{"image": uint8 (3, S, S), "index": int}``; float conversion, colour conversion
and hint sampling happen later on the whole batch, on the model's device.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import torch
from torch.utils.data import Dataset
from torchvision.transforms import v2
from torchvision.transforms.v2 import functional as TF

from colorization.data.images import Photo
from colorization.data.splits import holdout_split

log = logging.getLogger(__name__)


def split_photos(
    photos: Sequence[Photo], val_fraction: float, seed: int
) -> tuple[list[Photo], list[Photo]]:
    """Split by photo group (never crops of one scene on both sides), reproducibly by ``seed``."""
    fix = "Add images to data.root or give a separate data.val_root."
    return holdout_split(photos, lambda photo: photo.group, val_fraction, seed, "photos", fix)


# Memory (per dataset copy, i.e. per loader worker) for photos kept downscaled after their
# first decode.
DOWNSCALED_BUDGET_BYTES = 256 * 2**20


class _PhotoDataset(Dataset):
    """Shared photo access with an optional in-memory cache of decoded photos.

    A photo that passed the header check but still fails to decode is reported once and
    replaced by the next photo, so a bad file never stops an epoch half-way. With ``keep_side``,
    a photo more than twice that on its shorter side is downscaled to it once, at its first
    decode, and kept (within :data:`DOWNSCALED_BUDGET_BYTES`): later crops of it decode nothing.
    """

    def __init__(self, photos: Sequence[Photo], cache: bool, keep_side: int | None = None) -> None:
        if not photos:
            raise ValueError("A dataset needs at least one photo.")
        self.photos = list(photos)
        self.keep_side = keep_side
        self._broken: set[int] = set()
        self._cache = [photo.load() for photo in self.photos] if cache else None
        self._downscaled: dict[int, torch.Tensor] = {}
        self._downscaled_bytes = 0

    def _photo(self, index: int) -> torch.Tensor:
        if self._cache is not None:
            return self._cache[index]
        if index in self._downscaled:
            return self._downscaled[index]
        image = self._decode(index)
        side = self.keep_side
        if side is None or min(image.shape[-2:]) <= 2 * side:
            return image
        small = TF.resize(image, side, antialias=True)
        if self._downscaled_bytes + small.numel() <= DOWNSCALED_BUDGET_BYTES:
            self._downscaled[index] = small
            self._downscaled_bytes += small.numel()
        return small

    def _decode(self, index: int) -> torch.Tensor:
        for offset in range(len(self.photos)):
            candidate = (index + offset) % len(self.photos)
            if candidate in self._broken:
                continue
            try:
                return self.photos[candidate].load()
            except ValueError as error:
                self._broken.add(candidate)
                log.warning("%s Using another photo in its place.", error)
        raise RuntimeError("None of the photos of this dataset can be decoded.")


class RandomCropDataset(_PhotoDataset):
    """``samples_per_epoch`` random crops, cycling through the photos.

    Each crop is a random resized crop (area fraction in ``scale``, aspect 3:4..4:3) resized to
    ``size`` x ``size``, then a random horizontal flip.
    """

    def __init__(
        self,
        photos: Sequence[Photo],
        size: int,
        samples_per_epoch: int,
        scale: tuple[float, float] = (0.05, 1.0),
        cache: bool = False,
        keep_side: int | None = None,
    ) -> None:
        super().__init__(photos, cache, keep_side)
        if samples_per_epoch < 1:
            raise ValueError(f"data.train_samples_per_epoch must be >= 1, got {samples_per_epoch}.")
        self.samples_per_epoch = samples_per_epoch
        self.transform = v2.Compose(
            [
                v2.RandomResizedCrop(size, scale=tuple(scale), antialias=True),
                v2.RandomHorizontalFlip(),
            ]
        )

    def __len__(self) -> int:
        return self.samples_per_epoch

    def __getitem__(self, index: int) -> dict[str, torch.Tensor | int]:
        image = self._photo(index % len(self.photos))
        return {"image": self.transform(image), "index": index}


class GridViewDataset(_PhotoDataset):
    """Deterministic views: resize the shorter side to ``size * grid``, centre crop, cut into
    ``grid`` x ``grid`` tiles of ``size``. ``grid=1`` is the usual resize + centre crop."""

    def __init__(
        self, photos: Sequence[Photo], size: int, grid: int = 1, cache: bool = False
    ) -> None:
        super().__init__(photos, cache)
        if grid < 1:
            raise ValueError(f"data.val_grid must be >= 1, got {grid}.")
        self.size = size
        self.grid = grid
        side = size * grid
        self.transform = v2.Compose([v2.Resize(side, antialias=True), v2.CenterCrop(side)])

    def __len__(self) -> int:
        return len(self.photos) * self.grid**2

    def __getitem__(self, index: int) -> dict[str, torch.Tensor | int]:
        photo_index, tile = divmod(index, self.grid**2)
        row, col = divmod(tile, self.grid)
        view = self.transform(self._photo(photo_index))
        s = self.size
        crop = view[:, row * s : (row + 1) * s, col * s : (col + 1) * s].contiguous()
        return {"image": crop, "index": index}

    def item_name(self, index: int) -> str:
        """The photo's name, and the view's row and column when a photo has several."""
        photo_index, tile = divmod(index, self.grid**2)
        name = self.photos[photo_index].name
        return (
            name if self.grid == 1 else f"{name} view {'/'.join(map(str, divmod(tile, self.grid)))}"
        )


class WholePhotos(_PhotoDataset):
    """Every photo whole, at its own size (a benchmark test set, as papers test): items
    ``{"image": uint8 (3, H, W), "index": int}`` whose sizes differ, so one per batch.

    A benchmark must not score one photo in another's place: a photo that fails to decode
    raises (``ValueError`` naming it), and ``left_out`` lists the files the header check
    already left out (name -> reason), so that an evaluation can say what it did not test."""

    def __init__(
        self, photos: Sequence[Photo], cache: bool, left_out: dict[str, str] | None = None
    ) -> None:
        super().__init__(photos, cache)
        self.left_out = dict(left_out or {})

    def _decode(self, index: int) -> torch.Tensor:
        return self.photos[index].load()

    def __len__(self) -> int:
        return len(self.photos)

    def __getitem__(self, index: int) -> dict[str, torch.Tensor | int]:
        return {"image": self._photo(index), "index": index}

    def item_name(self, index: int) -> str:
        return self.photos[index].name
