"""python -m colorization.prepare: what is kept, left out and where it goes; the store reads back
what decoding the files gives."""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from torchvision.transforms.v2 import functional as TF

from colorization.data.images import load_rgb
from colorization.data.photos.corpus import split_of, split_position
from colorization.data.photos.duplicates import fingerprints
from colorization.data.photos.store import PhotoStore
from colorization.errors import UserError
from colorization.prepare import prepare


def smooth_photo(height: int, width: int, seed: int) -> np.ndarray:
    """A colourful photo-like image (a random coarse grid, smoothly enlarged)."""
    coarse = np.random.default_rng(seed).integers(0, 256, (6, 8, 3), dtype=np.uint8)
    return np.asarray(Image.fromarray(coarse).resize((width, height), Image.BILINEAR))


@pytest.fixture
def folder_tree(tmp_path: Path) -> Path:
    """9 distinct colour photos (odd sizes, nested, one small), a resized duplicate, a grey
    photo, a corrupt file."""
    root = tmp_path / "photos"
    for i in range(9):
        where = root / ("trip/day1" if i % 3 == 0 else "phone") / f"img_{i}.jpg"
        where.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(smooth_photo(301 + 2 * i, 405 - 3 * i, i)).save(where, quality=95)
    Image.fromarray(smooth_photo(97, 131, 100)).save(root / "phone" / "small.png")
    Image.fromarray(smooth_photo(301, 405, 0)).resize((202, 150)).save(root / "copy_of_0.png")
    Image.fromarray(smooth_photo(200, 300, 7)[..., 0]).save(root / "grey.png")
    (root / "phone" / "broken.jpg").write_bytes(b"\xff\xd8\xff not a jpeg")
    return root


def manifest(store: str | Path) -> list[dict[str, str]]:
    with open(Path(store) / "manifest.csv") as handle:
        return list(csv.DictReader(handle))


def test_prepare_keeps_counts_and_leaves_out_what_it_says(
    folder_tree: Path, tmp_path: Path
) -> None:
    out, summary, counts = prepare([str(folder_tree)], tmp_path / "store", short_side=128)
    assert summary.found == 13
    assert [len(summary.unreadable), len(summary.grey), len(summary.duplicates)] == [1, 1, 1]
    assert "copy_of_0.png" in summary.duplicates[0] and "img_0.jpg" in summary.duplicates[0]
    assert sum(counts.values()) == 10 and min(counts.values()) >= 1  # every split has a photo
    assert summary.kept_small == 1  # small.png, kept at its own size
    rows = manifest(out)
    assert len(rows) == 10 and {r["split"] for r in rows} == {"train", "val", "test"}
    small = next(r for r in rows if r["name"] == "phone/small.png")
    assert (small["stored_width"], small["stored_height"]) == ("131", "97")
    nested = next(r for r in rows if r["name"] == "trip/day1/img_3.jpg")
    assert (nested["width"], nested["height"], nested["stored_height"]) == ("396", "307", "128")
    info = json.loads((Path(out) / "store.json").read_text())
    assert info["counts"] == counts and info["left_out"] == {
        "unreadable": 1,
        "grey": 1,
        "duplicates": 1,
    }


def test_the_split_is_a_stable_function_of_the_name(folder_tree: Path, tmp_path: Path) -> None:
    first, _, _ = prepare([str(folder_tree)], tmp_path / "a", short_side=64)
    second, _, _ = prepare([str(folder_tree)], tmp_path / "b", short_side=64)
    assert manifest(first) == manifest(second)
    assert split_of(split_position("x/y.jpg"), 0.05, 0.05) == split_of(
        split_position("x/y.jpg"), 0.05, 0.05
    )
    positions = [split_position(f"photo_{i}.jpg") for i in range(2000)]
    assert 0.04 < np.mean([p < 0.05 for p in positions]) < 0.06  # uniform enough


def test_the_store_gives_back_the_decoded_resized_photos(folder_tree: Path, tmp_path: Path) -> None:
    """Photo ``index`` of a split is the manifest's row, at its stored size; JPEG 95 without
    chroma subsampling keeps it within a grey level or two."""
    out, _, _ = prepare([str(folder_tree)], tmp_path / "store", short_side=128)
    store = PhotoStore(out)
    for row in manifest(out):
        photo = store.photos(row["split"])[int(row["index"])]
        assert photo.name == f"{row['split']}/{row['index']}"
        expected = load_rgb(folder_tree / row["name"], 128)
        if min(expected.shape[-2:]) > 128:
            expected = TF.resize(expected, 128, antialias=True)
        stored = photo.load()
        assert stored.shape == expected.shape, row["name"]
        assert stored.shape[1:] == (int(row["stored_height"]), int(row["stored_width"]))
        error = (stored.float() - expected.float()).abs()
        assert error.mean() < 1.5 and error.max() < 40, row["name"]


def test_bad_requests_stop_with_the_fix(folder_tree: Path, tmp_path: Path) -> None:
    prepare([str(folder_tree)], tmp_path / "store", short_side=64)
    with pytest.raises(UserError, match="is not empty: give a new folder"):
        prepare([str(folder_tree)], tmp_path / "store")
    with pytest.raises(UserError, match="leave photos to train on"):
        prepare([str(folder_tree)], tmp_path / "other", val_fraction=0.5, test_fraction=0.5)
    with pytest.raises(FileNotFoundError, match="is not a photo store"):
        PhotoStore(tmp_path)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        prepare([str(tmp_path / "nowhere")], tmp_path / "x")


def test_the_fingerprint_is_the_same_for_a_resized_copy_and_differs_for_another_photo() -> None:
    photo = torch.from_numpy(smooth_photo(300, 400, 1)).permute(2, 0, 1)
    resized = TF.resize(photo, [150, 200], antialias=True)
    assert fingerprints(photo)[0] == fingerprints(resized)[0]
    other = torch.from_numpy(smooth_photo(300, 400, 2)).permute(2, 0, 1)
    assert fingerprints(photo)[0] != fingerprints(other)[0]


def test_a_name_that_is_not_utf8_is_prepared_under_its_own_bytes(tmp_path: Path) -> None:
    root = tmp_path / "photos"
    root.mkdir()
    for i in range(3):
        Image.fromarray(smooth_photo(90, 120, i)).save(root / f"p{i}.png")
    odd = Path(os.fsdecode(bytes(root) + b"/caf\xe9.png"))
    Image.fromarray(smooth_photo(90, 120, 9)).save(odd)
    store, summary, counts = prepare([str(root)], tmp_path / "store", short_side=48)
    assert sum(counts.values()) == 4 and not summary.unreadable
    with open(Path(store) / "manifest.csv", "rb") as handle:
        assert b"caf\xe9.png" in handle.read()


def test_a_failure_while_writing_leaves_no_partial_store(
    folder_tree: Path, tmp_path: Path, monkeypatch
) -> None:
    def fail(*args: object, **kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("colorization.prepare.write_manifest", fail)
    with pytest.raises(OSError):
        prepare([str(folder_tree)], tmp_path / "store", short_side=48)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["photos"]


def near_copies(image: torch.Tensor) -> dict[str, torch.Tensor]:
    """What a copy of a photo in someone's folders may have been through."""
    height, width = image.shape[-2:]
    small = TF.resize(
        image, [256 * height // max(height, width), 256 * width // max(height, width)]
    )
    buffer = io.BytesIO()
    Image.fromarray(small.permute(1, 2, 0).numpy()).save(buffer, "JPEG", quality=75)
    reencoded = torch.from_numpy(np.asarray(Image.open(buffer).convert("RGB")).copy())
    cut = int(height * 0.05), int(width * 0.05)
    return {
        "256 px, JPEG 75": reencoded.permute(2, 0, 1),
        "5 % cut all round": image[:, cut[0] : height - cut[0], cut[1] : width - cut[1]],
        "3 % cut on one side": image[:, :, int(width * 0.03) :],
        "10 % brighter": (image.float() * 1.1).clamp(0, 255).to(torch.uint8),
    }


def test_near_copies_are_found_and_distinct_photos_are_not() -> None:
    """The bundled photos: no two are taken for one (the stereo pair's two views neither),
    and every near copy of each is found, with its original named."""
    from colorization.data.photos.duplicates import NearDuplicates
    from colorization.data.sample_photos import sample_photos

    photos = {photo.name: photo.load() for photo in sample_photos()}
    seen = NearDuplicates()
    for name, image in photos.items():
        assert seen.match(fingerprints(image)) is None, name
        seen.add(fingerprints(image), name)
    for name, image in photos.items():
        for how, copy in near_copies(image).items():
            assert seen.match(fingerprints(copy)) == name, (name, how)


def test_the_progress_bar_shows_photos_per_second_and_those_left_out(capsys) -> None:
    from colorization.data.photos.corpus import Candidate, Described
    from colorization.data.photos.selection import Summary, with_progress

    summary = Summary(found=70)
    items = [(Candidate(f"p{i}", f"p{i}", ""), Described(False)) for i in range(70)]
    seen = []
    for entry in with_progress(items, len(items), summary):
        seen.append(entry)
        summary.unreadable.append(entry[0].source)
    assert seen == items
    bar = capsys.readouterr().err
    assert "70/70" in bar and "photo/s" in bar and "left_out=" in bar
