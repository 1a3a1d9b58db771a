"""The photo store's figures (``python -m colorization.bench --store``): ``prepare`` on a
generated corpus, the duplicate search as the index grows, the stored encodings, the training
loader, and the start-up of a run on a large store. Each row is a measurement, its value and
unit, and what it was measured on."""

from __future__ import annotations

import argparse
import io
import os
import resource
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image

from colorization.bench.corpus import procedural_photo, write_corpus
from colorization.bench.report import append_csv
from colorization.bench.rows import in_fresh_process
from colorization.hardware import cpu_model

Row = dict[str, Any]


def _row(measurement: str, value: float, unit: str, detail: str) -> Row:
    print(f"  {measurement}: {value:,.3f} {unit} ({detail})", flush=True)
    return {"measurement": measurement, "value": value, "unit": unit, "detail": detail}


def _cpu_seconds() -> float:
    """CPU time of this process and its finished children (user + system)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def prepare_rows(photos: int, workers: int) -> list[Row]:
    """``prepare`` of ``photos`` generated photos with a planted copy of every tenth: photos
    per CPU-second, peak memory, and whether the duplicates left out are exactly the copies."""
    from colorization.prepare import prepare

    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory(prefix="colorization-corpus-") as folder:
        corpus = Path(folder) / "corpus"
        planted = write_corpus(corpus, photos)
        found = photos + len(planted)
        cpu, wall = _cpu_seconds(), time.perf_counter()
        store, summary, counts = prepare([str(corpus)], Path(folder) / "store", workers=workers)
        cpu, wall = _cpu_seconds() - cpu, time.perf_counter() - wall
        pairs = {
            tuple(
                sorted(
                    Path(side.strip(" ()")).relative_to(corpus).as_posix()
                    for side in entry.split(" (= ")
                )
            )
            for entry in summary.duplicates
        }
        expected = {tuple(sorted(pair)) for pair in planted.items()}
        stored = sum(f.stat().st_size for f in Path(store).rglob("chunk-*.bin"))
    corpus_text = f"{found} photos of 500 x 375 (JPEG 90), {len(planted)} planted copies"
    return [
        _row(
            "prepare, photos per CPU-second",
            found / cpu,
            "photos/s",
            f"{corpus_text}, --workers {workers}",
        ),
        _row("prepare, wall clock", found / wall, "photos/s", f"{os.cpu_count()} cores"),
        _row("prepare, peak memory of the main process", _peak_rss_mib(), "MiB", corpus_text),
        _row(
            "planted copies found", len(expected & pairs) / len(expected), "fraction", corpus_text
        ),
        _row("distinct photos dropped", len(pairs - expected), "photos", corpus_text),
        _row("stored bytes per photo", stored / sum(counts.values()), "bytes", "short side 256"),
    ]


def search_rows(sizes: tuple[int, ...], queries: int = 2000) -> list[Row]:
    """The duplicate search with ``size`` photos kept (random fingerprints): ms per photo
    (a search and an add), and the memory the index takes."""
    from colorization.data.photos.duplicates import PRINTS_PER_PHOTO, NearDuplicates

    rows = []
    for size in sizes:
        rng = np.random.default_rng(size)
        before = _current_rss_mib()
        seen = NearDuplicates()
        prints = rng.integers(0, 2**63, (size, 2 * PRINTS_PER_PHOTO), dtype=np.uint64)
        seen.add_many(prints, [f"photo {i}" for i in range(size)])
        memory = _current_rss_mib() - before - prints.nbytes / 2**20
        del prints
        new = rng.integers(0, 2**63, (queries, 2 * PRINTS_PER_PHOTO), dtype=np.uint64)
        start = time.perf_counter()
        for index, row in enumerate(new):
            photo = tuple(int(value) for value in row)
            if seen.match(photo) is None:
                seen.add(photo, f"new {index}")
        per_photo = (time.perf_counter() - start) / queries * 1e3
        rows.append(_row(f"duplicate search, {size:,} kept", per_photo, "ms/photo", "search + add"))
        rows.append(_row(f"duplicate index, {size:,} kept", memory, "MiB", "resident memory"))
        del seen
    return rows


def _current_rss_mib() -> float:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _photos_at(short_side: int) -> list[Image.Image]:
    """The bundled colour photos, resized to ``short_side`` (real photos' statistics)."""
    from colorization.data.sample_photos import sample_photos

    photos = []
    for photo in sample_photos():
        image = Image.fromarray(photo.load().permute(1, 2, 0).numpy())
        scale = short_side / min(image.size)
        photos.append(image.resize([round(side * scale) for side in image.size]))
    return photos


def _encoders() -> dict[str, tuple[Callable[[Image.Image], bytes], Callable[[bytes], Any]]]:
    from torchvision.io import decode_image

    def saved(**options: Any) -> Callable[[Image.Image], bytes]:
        def encode(image: Image.Image) -> bytes:
            buffer = io.BytesIO()
            image.save(buffer, **options)
            return buffer.getvalue()

        return encode

    def decoded(data: bytes) -> torch.Tensor:
        return decode_image(torch.frombuffer(bytearray(data), dtype=torch.uint8))

    encoders = {
        "JPEG 95, 4:4:4 (the store's)": (saved(format="JPEG", quality=95, subsampling=0), decoded),
        "JPEG 95, 4:2:0": (saved(format="JPEG", quality=95), decoded),
        "WebP 95": (saved(format="WEBP", quality=95), decoded),
        "PNG": (saved(format="PNG"), decoded),
        "raw uint8 (store version 1)": (lambda image: np.asarray(image).tobytes(), bytearray),
    }
    try:
        import zstandard

        encoders["raw uint8 + zstd 3"] = (
            lambda image: zstandard.ZstdCompressor(level=3).compress(np.asarray(image).tobytes()),
            lambda data: zstandard.ZstdDecompressor().decompress(data),
        )
    except ImportError:  # not a dependency: measured where it is installed
        pass
    return encoders


def encoding_rows(short_side: int = 256, rounds: int = 5) -> list[Row]:
    """Bytes per photo and decoded photos/s on one core of each encoding considered."""
    torch.set_num_threads(1)
    photos, rows = _photos_at(short_side), []
    for name, (encode, decode) in _encoders().items():
        data = [encode(photo) for photo in photos]
        start = time.perf_counter()
        for _ in range(rounds):
            for item in data:
                decode(item)
        rate = rounds * len(data) / (time.perf_counter() - start)
        detail = f"{len(photos)} bundled photos at {short_side} px"
        rows.append(
            _row(
                f"{name}: bytes per photo", float(np.mean([len(d) for d in data])), "bytes", detail
            )
        )
        rows.append(_row(f"{name}: decoded on one core", rate, "photos/s", detail))
    return rows


def loader_rows(photos: int = 400, image_size: int = 128, batches: int = 40) -> list[Row]:
    """Random crops from a store per second on one core (the training loader's work)."""
    from colorization.data.photos.store_writer import write_split
    from colorization.data.photos.streaming import train_loader, train_stream

    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory(prefix="colorization-store-") as folder:
        images = [_photo_tensor(seed) for seed in range(photos)]
        write_split(
            folder, "train", [(i, partial(torch.clone, image)) for i, image in enumerate(images)], 0
        )
        loader = train_loader(train_stream(folder, image_size, (0.05, 1.0)), 16)
        start, crops = time.perf_counter(), 0
        for index, batch in enumerate(loader):
            crops += len(batch["image"])
            if index + 1 == batches:
                break
        rate = crops / (time.perf_counter() - start)
    return [
        _row(
            f"loader, {image_size} px crops on one core",
            rate,
            "crops/s",
            "photos of 341 x 256, JPEG 95",
        )
    ]


def _photo_tensor(seed: int) -> torch.Tensor:
    image = procedural_photo(seed).resize((341, 256))
    return torch.from_numpy(np.asarray(image).copy()).permute(2, 0, 1)


def startup_rows(photos: int) -> list[Row]:
    """Seconds from the DataModule's construction to the first training batch, on a store of
    ``photos`` photos (one small photo stored that many times: the index is what grows)."""
    from litdata.streaming.writer import BinaryWriter

    from colorization.data.photos.store import stored_item

    with tempfile.TemporaryDirectory(prefix="colorization-store-") as folder:
        item = stored_item(0, _photo_tensor(0))
        for split, count in (("train", photos), ("val", max(1, photos // 20)), ("test", 1)):
            (Path(folder) / split).mkdir()
            writer = BinaryWriter(str(Path(folder) / split), chunk_bytes="64MB")
            for index in range(count):
                writer.add_item(index, {**item, "index": index})
            writer.done()
            writer.merge()
        counts = {"train": photos, "val": max(1, photos // 20), "test": 1}
        (Path(folder) / "store.json").write_text(
            '{"version": 2, "counts": ' + str(counts).replace("'", '"') + "}"
        )
        seconds = in_fresh_process(_first_batch_seconds, folder)
    return [
        _row(
            f"start-up on a store of {photos:,} photos", seconds, "s", "construction to first batch"
        )
    ]


def _first_batch_seconds(store: str) -> float:
    from colorization.data.photos.store_datamodule import PhotoStoreDataModule

    start = time.perf_counter()
    datamodule = PhotoStoreDataModule(
        store, image_size=128, batch_size=16, num_workers=0, train_samples_per_epoch=None
    )
    datamodule.setup("fit")
    next(iter(datamodule.train_dataloader()))
    return time.perf_counter() - start


def markdown(rows: list[Row]) -> str:
    lines = ["| measurement | value | unit | measured on |", "|---|---:|---|---|"]
    lines += [
        f"| {r['measurement']} | {r['value']:,.3g} | {r['unit']} | {r['detail']} |" for r in rows
    ]
    return "\n".join(lines)


def add_store_options(parser: argparse.ArgumentParser) -> None:
    store = parser.add_argument_group("the photo store (instead of training)")
    store.add_argument("--store", action="store_true", help="measure the photo store only")
    store.add_argument("--store-photos", type=int, default=20000, help="photos to prepare")
    store.add_argument(
        "--search-sizes",
        type=int,
        nargs="+",
        default=[10_000, 100_000, 1_000_000],
        help="photos kept in the duplicate index",
    )
    store.add_argument("--startup-photos", type=int, default=100_000, help="photos of a store")
    store.add_argument("--workers", type=int, default=0, help="prepare's processes")


def store_rows(args: argparse.Namespace, stamp: str) -> list[dict[str, Any]]:
    """The photo store's figures, printed as they come and appended to ``store.csv`` beside
    ``--csv``."""
    print(f"# colorization.bench --store {stamp} on {cpu_model() or 'CPU'}", flush=True)
    rows = [
        *prepare_rows(args.store_photos, args.workers),
        *search_rows(tuple(args.search_sizes)),
        *encoding_rows(),
        *loader_rows(image_size=128),
        *loader_rows(image_size=256),
        *startup_rows(args.startup_photos),
    ]
    rows = [{"timestamp": stamp, **row} for row in rows]
    append_csv(args.csv.with_name("store.csv"), rows, list(rows[0]))
    print(markdown(rows))
    return rows
