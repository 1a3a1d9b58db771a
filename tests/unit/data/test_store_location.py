"""Where a photo store lies: a folder, or a URL whose small files go through LitData's storage
providers (faked here: no network)."""

from __future__ import annotations

from pathlib import Path

import pytest

import colorization.data.photos.location as location


class FakeProvider:
    def __init__(self, files: dict[str, str]) -> None:
        self.files = files

    def download_file(self, remote: str, local: str) -> None:
        if remote not in self.files:
            raise OSError("NoSuchKey")
        Path(local).write_text(self.files[remote])

    def upload_file(self, local: str, remote: str) -> None:
        self.files[remote] = Path(local).read_text()


def test_a_url_is_kept_and_a_folder_made_absolute(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert location.normalised("s3://bucket/photos/") == "s3://bucket/photos"
    assert location.normalised("stores/a") == str(tmp_path / "stores" / "a")
    assert location.join("s3://bucket/photos", "train") == "s3://bucket/photos/train"
    assert location.join(str(tmp_path), "train") == str(tmp_path / "train")


def test_small_files_of_a_url_store_go_through_litdatas_provider(
    tmp_path: Path, monkeypatch
) -> None:
    provider = FakeProvider({})
    monkeypatch.setattr(location, "_provider", lambda url: provider)
    (tmp_path / "store.json").write_text('{"version": 2}')
    location.put(tmp_path / "store.json", "s3://bucket/photos", "store.json")
    assert provider.files == {"s3://bucket/photos/store.json": '{"version": 2}'}
    text = location.read_text("s3://bucket/photos", "store.json", option="data.store")
    assert text == '{"version": 2}'
    with pytest.raises(FileNotFoundError, match=r"data.store=s3://bucket/other: could not read"):
        location.read_text("s3://bucket/other", "store.json", option="data.store")


def test_a_folder_without_the_file_is_not_a_store(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="is not a photo store .no store.json"):
        location.read_text(str(tmp_path), "store.json", option="data.store")


def test_prepare_to_a_url_writes_each_split_there_and_uploads_the_small_files(
    tmp_path: Path, monkeypatch
) -> None:
    """Our part of an object-store store: where the splits go, what is uploaded beside them
    (LitData's upload of the chunks is its own, and needs a network)."""
    import json

    from helpers import write_images

    from colorization.prepare import prepare

    written: dict[str, int] = {}

    def write_split(store: str, split: str, photos, workers: int) -> None:
        written[location.join(store, split)] = len(photos)

    provider = FakeProvider({})
    monkeypatch.setattr(location, "_provider", lambda url: provider)
    monkeypatch.setattr("colorization.data.photos.store_writer.write_split", write_split)
    write_images(tmp_path / "photos", 6, size=(40, 30))
    store, _, counts = prepare([str(tmp_path / "photos")], "s3://bucket/photos/", short_side=16)
    assert store == "s3://bucket/photos"
    assert written == {f"s3://bucket/photos/{split}": counts[split] for split in counts}
    info = json.loads(provider.files["s3://bucket/photos/store.json"])
    assert info["version"] == 2 and info["counts"] == counts
    manifest = provider.files["s3://bucket/photos/manifest.csv"].splitlines()
    assert len(manifest) == 1 + sum(counts.values())
    assert sorted(path.name for path in tmp_path.iterdir()) == ["photos"]  # nothing local
