"""The photo store (LitData): what a split gives back, the errors that name the store and the
fix, stores of version 1 read and converted, and training crops that resume where they were."""

from __future__ import annotations

import itertools
from functools import partial
from pathlib import Path

import pytest
import torch
from helpers import V1_SPLITS as SPLITS
from helpers import smooth_photo as photo
from helpers import write_v1_store

from colorization.data.photos.store import PhotoStore
from colorization.data.photos.store_datamodule import PhotoStoreDataModule
from colorization.data.photos.store_writer import convert, write_split
from colorization.data.photos.streaming import train_loader, train_stream
from colorization.errors import UserError
from colorization.prepare import main as prepare_main
from colorization.seeds import derived_seed


def close(stored: torch.Tensor, original: torch.Tensor) -> bool:
    """Equal sizes, and pixels within what JPEG 95 without chroma subsampling changes."""
    error = (stored.float() - original.float()).abs()
    return stored.shape == original.shape and error.mean() < 1.5 and error.max() < 30


def test_a_store_of_version_1_is_read_as_before_and_converted_photo_for_photo(
    tmp_path: Path,
) -> None:
    photos = write_v1_store(tmp_path / "old")
    old = PhotoStore(str(tmp_path / "old"))
    assert not old.streams
    for split, images in photos.items():
        loaded = [p.load() for p in old.photos(split)]
        assert all(torch.equal(a, b) for a, b in zip(loaded, images, strict=True))
    location, counts = convert(tmp_path / "old", tmp_path / "new")
    assert counts == SPLITS
    new = PhotoStore(location)
    assert new.streams and new.version == 2 and new.info["converted_from"] == old.location
    for split, images in photos.items():
        stored = new.photos(split)
        assert [p.name for p in stored] == [f"{split}/{i}" for i in range(len(images))]
        assert all(close(p.load(), image) for p, image in zip(stored, images, strict=True))
    assert (tmp_path / "new" / "manifest.csv").read_text() == (
        tmp_path / "old" / "manifest.csv"
    ).read_text()
    with pytest.raises(UserError, match="of version 2 already"):
        convert(tmp_path / "new", tmp_path / "again")
    with pytest.raises(FileNotFoundError, match="--convert=.* is not a photo store"):
        convert(tmp_path / "nowhere", tmp_path / "again")


def test_prepare_convert_takes_no_folders(tmp_path: Path, capsys) -> None:
    with pytest.raises(SystemExit) as stopped:
        prepare_main(["--convert", str(tmp_path), "photos", "--out", str(tmp_path / "x")])
    assert stopped.value.code == 2
    assert "--convert takes no photo folders" in capsys.readouterr().err


def test_a_version_1_store_trains_with_its_crops_per_epoch_and_not_with_one_pass(
    tmp_path: Path,
) -> None:
    write_v1_store(tmp_path / "old")
    options = {"image_size": 16, "batch_size": 2, "num_workers": 0}
    with pytest.raises(ValueError, match="no one-pass epochs.*--convert"):
        PhotoStoreDataModule(str(tmp_path / "old"), train_samples_per_epoch=None, **options)
    datamodule = PhotoStoreDataModule(str(tmp_path / "old"), train_samples_per_epoch=6, **options)
    datamodule.setup("fit")
    batches = list(datamodule.train_dataloader())
    assert sum(len(b["image"]) for b in batches) == 6
    assert len(datamodule.test_set) == 1


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "is not a photo store \\(no store.json\\)"),
        ("{not json", "store.json is damaged"),
        ('{"version": 3}', "of store version 3; this version reads 1 and 2"),
    ],
)
def test_a_store_that_cannot_be_read_names_it_and_the_fix(
    tmp_path: Path, content: str | None, message: str
) -> None:
    if content is not None:
        (tmp_path / "store.json").write_text(content)
    with pytest.raises((FileNotFoundError, ValueError), match=message):
        PhotoStore(str(tmp_path))


def stored_split(folder: Path, count: int, workers: int = 0) -> list[torch.Tensor]:
    images = [photo(30 + i % 5, 40 + i % 7, seed=i) for i in range(count)]
    write_split(
        str(folder),
        "train",
        [(i, partial(torch.clone, im)) for i, im in enumerate(images)],
        workers,
    )
    return images


def epochs_of_crops(loader, epochs: int, stop_after: int | None = None, done: int = 0):
    """The (photo, crop checksum) of every sample, batch by batch, taking ``len(loader)``
    batches an epoch as Lightning does (an epoch's iterator is not run out); ``done``: batches
    of the first epoch taken before. With ``stop_after``, also the loader's state once that
    many batches are taken."""
    seen = []
    for _ in range(epochs):
        for batch in itertools.islice(loader, len(loader) - done):
            sums = batch["image"].sum((1, 2, 3)).tolist()
            seen.append(list(zip(batch["index"].tolist(), sums, strict=True)))
            if len(seen) == stop_after:
                return seen, loader.state_dict()
        done = 0
    return seen, None


@pytest.mark.parametrize(
    ("samples_per_epoch", "workers"),
    [(None, 0), (10, 0), pytest.param(10, 2, marks=pytest.mark.slow)],  # workers: 10 s
)
def test_a_resumed_loader_gives_the_samples_and_crops_the_uninterrupted_one_gives(
    tmp_path: Path, samples_per_epoch: int | None, workers: int, monkeypatch
) -> None:
    monkeypatch.setenv("PL_GLOBAL_SEED", "5")
    stored_split(tmp_path, 9)

    def loader():
        stream = train_stream(str(tmp_path), 16, (0.2, 1.0))
        return train_loader(stream, 2, samples_per_epoch, num_workers=workers)

    full, _ = epochs_of_crops(loader(), 3)
    per_epoch = len(loader())
    assert {index for batch in full[:per_epoch] for index, _ in batch} == set(range(9))
    assert full[:per_epoch] != full[per_epoch : 2 * per_epoch]  # each epoch anew
    stop = per_epoch + 2  # in the second epoch
    before, state = epochs_of_crops(loader(), 3, stop_after=stop)
    resumed = loader()
    resumed.load_state_dict(state)
    after, _ = epochs_of_crops(resumed, 2, done=2)
    assert before + after == full
    # the same photo in another epoch is cut another way
    assert derived_seed(5, 1, 3) != derived_seed(5, 2, 3)
    assert derived_seed(5, 1, 3) == derived_seed(5, 1, 3)


def test_a_position_taken_up_another_way_or_not_at_all_is_said(tmp_path: Path, caplog) -> None:
    stored_split(tmp_path, 9)

    def loader(batch_size: int):
        return train_loader(train_stream(str(tmp_path), 16, (0.2, 1.0)), batch_size, 10)

    _, state = epochs_of_crops(loader(2), 1, stop_after=2)
    other = loader(3)  # LitData resumes another batch size at the same share of the pass
    with caplog.at_level("WARNING"):
        other.load_state_dict(state)
    assert "not exactly as the run it resumes" in caplog.text and "batch size 2 -> 3" in caplog.text
    assert sum(len(batch["index"]) for batch in other) == 9  # 10 crops an epoch: 3 batches of 3
    caplog.clear()
    with caplog.at_level("WARNING"):
        loader(3).load_state_dict({"dataset": {"no": "state"}})
    assert "the interrupted epoch starts over" in caplog.text


def test_an_epoch_is_one_pass_over_the_train_split(tmp_path: Path, monkeypatch) -> None:
    stored_split(tmp_path, 8)
    loader = train_loader(train_stream(str(tmp_path), 16, (0.2, 1.0)), 3)
    for _ in range(2):
        indices = [i for batch in loader for i in batch["index"].tolist()]
        assert sorted(indices) == list(range(8))
