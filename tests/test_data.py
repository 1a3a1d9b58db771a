from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from colorization.data import ColorizationDataModule
from colorization.data.colorization.crops import GridViewDataset, RandomCropDataset, split_photos
from colorization.data.images import IMAGE_EXTENSIONS, Photo, find_images, load_rgb
from colorization.data.sample_photos import VALIDATION_PHOTOS, sample_photos, sample_split


def write_images(folder: Path, count: int, size: tuple[int, int] = (40, 30)) -> list[Path]:
    """``count`` random RGB images in every supported format, some in sub-folders."""
    rng = np.random.default_rng(0)
    suffixes = [".png", ".jpg", ".bmp", ".tif", ".webp"]
    paths = []
    for i in range(count):
        path = folder / f"sub{i % 2}" / f"img{i}{suffixes[i % len(suffixes)]}"
        path.parent.mkdir(parents=True, exist_ok=True)
        pixels = rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)
        Image.fromarray(pixels).save(path)
        paths.append(path)
    return paths


def test_find_images_is_recursive_sorted_and_filters_extensions(tmp_path: Path) -> None:
    written = write_images(tmp_path, 5)
    (tmp_path / "notes.txt").write_text("not an image")
    found = find_images(tmp_path)
    assert found == sorted(written)
    assert {p.suffix for p in found} <= set(IMAGE_EXTENSIONS)


@pytest.mark.parametrize("suffix", [".png", ".jpg", ".bmp", ".tif", ".webp"])
def test_load_rgb_decodes_every_format(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"x{suffix}"
    Image.fromarray(np.full((7, 9, 3), 200, dtype=np.uint8)).save(path)
    image = load_rgb(path)
    assert image.shape == (3, 7, 9) and image.dtype == torch.uint8


def test_unreadable_image_error_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "broken.png"
    path.write_bytes(b"definitely not a png")
    with pytest.raises(ValueError, match="broken.png"):
        load_rgb(path)


def test_missing_and_empty_folders_give_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="does not exist.*data.root"):
        find_images(tmp_path / "nope")
    with pytest.raises(FileNotFoundError, match="No images found"):
        find_images(tmp_path)


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


def test_split_photos_keeps_groups_together_and_is_reproducible() -> None:
    photos = [Photo(f"p{i}", f"g{i // 2}", lambda: torch.zeros(3, 8, 8)) for i in range(20)]
    train, val = split_photos(photos, val_fraction=0.2, seed=3)
    assert len(val) == 4 and len(train) == 16
    assert not {p.group for p in train} & {p.group for p in val}
    assert [p.name for p in split_photos(photos, 0.2, seed=3)[1]] == [p.name for p in val]
    with pytest.raises(ValueError, match="at least 2"):
        split_photos(photos[:2], 0.5, seed=0)  # one group only


def test_random_crops_have_the_requested_size() -> None:
    photo = Photo("p", "p", lambda: torch.randint(0, 255, (3, 50, 70), dtype=torch.uint8))
    dataset = RandomCropDataset([photo], size=24, samples_per_epoch=6)
    assert len(dataset) == 6
    item = dataset[3]
    assert item["image"].shape == (3, 24, 24) and item["index"] == 3


def test_grid_views_tile_the_centre_crop() -> None:
    image = torch.arange(3 * 40 * 40, dtype=torch.int64).remainder(256).to(torch.uint8)
    photo = Photo("p", "p", lambda: image.view(3, 40, 40))
    views = GridViewDataset([photo], size=20, grid=2)
    assert len(views) == 4
    assert torch.equal(views[3]["image"], image.view(3, 40, 40)[:, 20:, 20:])


def test_datamodule_on_a_folder(tmp_path: Path) -> None:
    write_images(tmp_path, 10, size=(48, 40))
    dm = ColorizationDataModule(
        root=str(tmp_path), image_size=32, batch_size=4, num_workers=0, train_samples_per_epoch=8
    )
    dm.setup("fit")
    train_names = {p.name for p in dm.train_set.photos}
    val_names = {p.name for p in dm.val_set.photos}
    assert len(val_names) == 1 and not train_names & val_names
    batch = next(iter(dm.train_dataloader()))
    assert batch["image"].shape == (4, 3, 32, 32) and batch["image"].dtype == torch.uint8
    first = next(iter(dm.val_dataloader()))["image"]
    assert torch.equal(first, next(iter(dm.val_dataloader()))["image"])


def test_datamodule_rejects_bad_settings() -> None:
    with pytest.raises(ValueError, match="data.image_size"):
        ColorizationDataModule(image_size=0)
    with pytest.raises(ValueError, match="data.crop_scale"):
        ColorizationDataModule(crop_scale=(0.5, 0.1))
