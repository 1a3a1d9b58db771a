"""colorization.data.sample_photos: the built-in photos load offline and split by scene."""

import torch

from colorization.data.sample_photos import VALIDATION_PHOTOS, sample_photos, sample_split


def test_sample_photos_load_offline_and_split_by_photo() -> None:
    photos = sample_photos()
    assert len(photos) == 9
    for photo in photos:
        image = photo.load()
        assert image.dtype == torch.uint8 and image.shape[0] == 3 and min(image.shape[1:]) >= 256
    train, val = sample_split()
    assert {p.name for p in val} == set(VALIDATION_PHOTOS)
    assert not {p.group for p in train} & {p.group for p in val}
    stereo = [p for p in train if p.group == "stereo_motorcycle"]
    assert len(stereo) == 2  # both views of the pair on the same side
