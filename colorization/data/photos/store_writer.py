"""Writing a photo store's splits with ``litdata.optimize``: LitData's parallel writer, which
encodes the photos in worker processes and packs them into chunks where the store lies (a
folder; for an object store it stages them in its cache folder, ``DATA_OPTIMIZER_CACHE_FOLDER``,
and uploads them). With no worker processes asked for and a local folder, the chunks are
written in this process by the writer ``optimize``'s workers use (``BinaryWriter``): the same
files, without the seconds it takes to start a worker."""

from __future__ import annotations

import csv
import json
import shutil
import tempfile
import warnings
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Any

import torch

import colorization.data.photos.location as location
from colorization.data.formats import shown
from colorization.data.photos.selection import Kept
from colorization.data.photos.store import (
    CHUNK_BYTES,
    ENCODING,
    MANIFEST_FIELDS,
    SPLITS,
    STORE_VERSION,
    PhotoStore,
    stored_item,
)
from colorization.errors import UserError

# One input of a split: the photo's index in it, and what loads the photo as it is stored.
StoreInput = tuple[int, Callable[[], torch.Tensor]]


def _item(entry: StoreInput) -> dict[str, Any]:
    index, load = entry
    return stored_item(index, load())


def write_split(store: str, split: str, photos: Sequence[StoreInput], workers: int) -> None:
    """Write ``photos`` (in their order: item ``i`` is photo ``i``) as the split's dataset."""
    if not photos:
        return
    output = location.join(store, split)
    if workers <= 0 and not location.is_url(store):
        _write_here(output, photos)
        return
    import litdata

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # LitData's notes on its own defaults
        litdata.optimize(
            fn=_item,
            inputs=list(photos),
            output_dir=output,
            chunk_bytes=CHUNK_BYTES,
            num_workers=max(1, min(workers, len(photos))),
            keep_data_ordered=True,
            start_method="spawn",  # workers forked from a process running torch threads can hang
            verbose=False,
        )


def _write_here(folder: str, photos: Sequence[StoreInput]) -> None:
    from litdata.streaming.writer import BinaryWriter

    Path(folder).mkdir(parents=True)
    writer = BinaryWriter(folder, chunk_bytes=CHUNK_BYTES)
    for entry in photos:
        writer.add_item(entry[0], _item(entry))
    writer.done()
    writer.merge()


def write_manifest(path: Path, splits: dict[str, list[Kept]]) -> None:
    # names that are not valid UTF-8 are written as the bytes they are
    with open(path, "w", newline="", errors="surrogateescape") as handle:
        writer = csv.DictWriter(handle, fieldnames=MANIFEST_FIELDS)
        writer.writeheader()
        for split, photos in splits.items():
            writer.writerows(
                {
                    "split": split,
                    "index": index,
                    "name": k.candidate.name,
                    "source": k.candidate.source,
                    "width": k.size[0],
                    "height": k.size[1],
                    "stored_width": k.stored[0],
                    "stored_height": k.stored[1],
                    "licence": k.candidate.licence,
                }
                for index, k in enumerate(photos)
            )


def checked_out(out: str | Path) -> str:
    """The store's location; a folder must be new or empty."""
    store = location.normalised(out)
    if not location.is_url(store):
        folder = Path(store)
        if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
            raise UserError(
                f"--out {shown(folder)} is not empty: give a new folder (or delete it)."
            )
    return store


class Staging:
    """A local store is written into ``<out>.partial`` and renamed when complete, so that a
    failure leaves nothing behind and the next attempt starts clean; a store at a URL is
    written in place (LitData uploads each chunk as it is done)."""

    def __init__(self, store: str) -> None:
        self.store, self.url = store, location.is_url(store)
        self.target = store if self.url else store + ".partial"
        self.small_files = Path(tempfile.mkdtemp()) if self.url else Path(self.target)

    def __enter__(self) -> Staging:
        if not self.url:
            shutil.rmtree(self.target, ignore_errors=True)
            Path(self.target).mkdir(parents=True)
        return self

    def put(self, name: str) -> Path:
        """The local path to write small file ``name`` at (then :meth:`send`)."""
        return self.small_files / name

    def send(self, name: str) -> None:
        location.put(self.small_files / name, self.target, name)

    def __exit__(self, kind, error, trace) -> None:
        if self.url:
            shutil.rmtree(self.small_files, ignore_errors=True)
        elif error is not None:
            shutil.rmtree(self.target, ignore_errors=True)
        else:
            final = Path(self.store)
            final.parent.mkdir(parents=True, exist_ok=True)
            if final.exists():
                final.rmdir()
            Path(self.target).rename(final)


def write_store(
    store: str,
    splits: dict[str, Sequence[StoreInput]],
    manifest: Callable[[Path], None],
    info: dict,
    workers: int,
) -> dict[str, int]:
    """Write every split, the manifest and store.json; returns the photos per split."""
    with Staging(store) as staging:
        for split, photos in splits.items():
            write_split(staging.target, split, photos, workers)
        manifest(staging.put("manifest.csv"))
        staging.send("manifest.csv")
        counts = {split: len(photos) for split, photos in splits.items()}
        info = {"version": STORE_VERSION, "encoding": ENCODING, **info, "counts": counts}
        staging.put("store.json").write_text(json.dumps(info, indent=1) + "\n")
        staging.send("store.json")
    return counts


def convert(old: str | Path, out: str | Path, workers: int = 0) -> tuple[str, dict[str, int]]:
    """A store of version 1 (raw pixels) written again as a LitData store, photo for photo:
    the same splits, indices and manifest."""
    source = PhotoStore(str(old), option="--convert")
    if source.version != 1:
        raise UserError(
            f"--convert {old}: the store is of version {source.version} already; only a store "
            "of version 1 needs converting."
        )
    store = checked_out(out)
    inputs = {
        split: [(i, photo.load) for i, photo in enumerate(source.photos(split))] for split in SPLITS
    }
    manifest = Path(source.location) / "manifest.csv"
    info = {key: value for key, value in source.info.items() if key not in ("version", "counts")}
    info["converted_from"] = source.location
    counts = write_store(store, inputs, partial(shutil.copyfile, manifest), info, workers)
    return store, counts
