"""The built-in sample photos: real colour photos shipped inside the scikit-image wheel.

Only images bundled in the wheel are used; other ``skimage.data`` entries download on first use
and are never touched. The stereo_motorcycle pair shows one scene, so both views share a group
and are never split between training and validation.
"""

from __future__ import annotations

from functools import partial

import numpy as np
import skimage.data
import torch

from colorization.data.images import Photo

BUNDLED_PHOTOS = (
    "astronaut",
    "chelsea",
    "coffee",
    "hubble_deep_field",
    "immunohistochemistry",
    "retina",
    "rocket",
)
STEREO_PAIR = "stereo_motorcycle"
# Held out whole for validation: two everyday photos, neither used for training.
VALIDATION_PHOTOS = ("chelsea", "coffee")


def _to_tensor(array: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(array)).permute(2, 0, 1).contiguous()


def _load_bundled(name: str) -> torch.Tensor:
    return _to_tensor(getattr(skimage.data, name)())


def _load_stereo_view(view: int) -> torch.Tensor:
    return _to_tensor(skimage.data.stereo_motorcycle()[view])


def sample_photos() -> list[Photo]:
    """All nine bundled colour photos (the stereo pair as two photos of one group)."""
    photos = [Photo(name, name, partial(_load_bundled, name)) for name in BUNDLED_PHOTOS]
    photos += [
        Photo(f"{STEREO_PAIR}_{side}", STEREO_PAIR, partial(_load_stereo_view, view))
        for view, side in enumerate(("left", "right"))
    ]
    return photos


def sample_split() -> tuple[list[Photo], list[Photo]]:
    """(train, validation) photos of the built-in set, split by whole photo."""
    photos = sample_photos()
    train = [p for p in photos if p.group not in VALIDATION_PHOTOS]
    val = [p for p in photos if p.group in VALIDATION_PHOTOS]
    return train, val
