"""Turn folders of photos into a photo store that colorization trains from without decoding.

    python -m colorization.prepare ~/Pictures /data/places365 --out stores/my_photos [--samples]
    python -m colorization.train data=photos data.store=stores/my_photos

Every image under the folders (any layout: ImageNet/Places class folders, COCO, a phone dump;
searched recursively) is decoded once (large JPEGs at a reduced scale), resized to a shorter
side of ``--short-side`` (256; smaller photos are kept as they are), and checked: unreadable
files, greyscale and near-greyscale photos (95 % of the pixels below ``--min-chroma``, 4 by
default, in CIE Lab chroma: a scan of a black-and-white print is below, a photo with some colour
above, a sepia print too) and duplicates
(the same 64-bit difference hash of the 9 x 8 grey thumbnail: the same photo resized or
re-compressed) are left out and counted. Each photo's split (train/val/test) comes from a stable
hash of its name (its path inside its folder), so adding photos later never moves the others;
with 3 or more photos every split gets at least one. ``--samples`` adds the scikit-image photos.
"""

from __future__ import annotations

import argparse
import csv
import json
import logging
import shutil
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import torch

from colorization.data.images import shown
from colorization.data.photos.corpus import (
    Candidate,
    Decoded,
    NearDuplicates,
    candidates,
    decode,
    split_of,
    split_position,
    split_ranges,
)
from colorization.data.photos.store import (
    MANIFEST_FIELDS,
    SPLITS,
    STORE_VERSION,
    SplitWriter,
)
from colorization.errors import UserError, exit_on_user_error

log = logging.getLogger(__name__)


@dataclass
class Summary:
    found: int = 0
    unreadable: list[str] = field(default_factory=list)
    grey: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    kept_small: int = 0


def decoded_in_order(
    items: list[Candidate], short_side: int, workers: int
) -> Iterator[tuple[Candidate, Decoded]]:
    """Each candidate with its decoded photo, in order (in ``workers`` processes if > 0)."""
    work = partial(decode, short_side=short_side)
    if workers <= 0:
        yield from ((item, work(item)) for item in items)
        return
    import multiprocessing

    # spawn: workers forked from a process whose torch already runs threads can hang
    with multiprocessing.get_context("spawn").Pool(
        workers, initializer=torch.set_num_threads, initargs=(1,)
    ) as pool:
        yield from zip(items, pool.imap(work, items, chunksize=8), strict=True)


@dataclass
class Kept:
    candidate: Candidate
    decoded: Decoded
    position: float
    split: str
    index: int


def ensure_every_split(kept: list[Kept], writers: dict[str, SplitWriter], fractions) -> None:
    """With 3 or more photos, move into each empty split the photo whose hash lies nearest to
    that split's range (taken from the largest split; deterministic)."""
    if len(kept) < 3:
        return
    ranges = split_ranges(*fractions)
    for split in SPLITS:
        if any(k.split == split for k in kept):
            continue
        donor = max(SPLITS, key=lambda s: sum(k.split == s for k in kept))
        low, high = ranges[split]
        chosen = min(
            (k for k in kept if k.split == donor),
            key=lambda k: (
                0.0
                if low <= k.position < high
                else min(abs(k.position - low), abs(k.position - high))
            ),
        )
        image = writers[donor].read(chosen.index)
        writers[donor].remove(chosen.index)
        chosen.split, chosen.index = split, writers[split].add(image)


def write_manifest(folder: Path, kept: list[Kept], writers: dict[str, SplitWriter]) -> None:
    rows = sorted(
        (
            {
                "split": k.split,
                "index": writers[k.split].final_index(k.index),
                "name": k.candidate.name,
                "source": k.candidate.source,
                "width": k.decoded.size[0],
                "height": k.decoded.size[1],
                "stored_width": writers[k.split].rows[k.index][2],
                "stored_height": writers[k.split].rows[k.index][1],
                "licence": k.candidate.licence,
            }
            for k in kept
        ),
        key=lambda row: (SPLITS.index(row["split"]), row["index"]),
    )
    # names that are not valid UTF-8 are written as the bytes they are
    with open(folder / "manifest.csv", "w", newline="", errors="surrogateescape") as handle:
        writer = csv.DictWriter(handle, fieldnames=MANIFEST_FIELDS)
        writer.writeheader()
        writer.writerows(rows)


def prepare(
    folders: Sequence[str],
    out: str | Path,
    short_side: int = 256,
    val_fraction: float = 0.05,
    test_fraction: float = 0.05,
    min_chroma: float = 4.0,
    samples: bool = False,
    licence: str | None = None,
    workers: int = 0,
    progress: bool = False,
) -> tuple[Path, Summary, dict[str, int]]:
    """Write the store; returns its folder, what was left out, and the photos per split."""
    out = Path(out).expanduser()
    if out.exists() and any(out.iterdir()):
        raise UserError(f"--out {shown(out)} is not empty: give a new folder (or delete it).")
    if short_side < 8 or not (0 <= val_fraction < 1 and 0 <= test_fraction < 1):
        raise UserError("Need --short-side >= 8 and fractions in [0, 1).")
    if val_fraction + test_fraction >= 1:
        raise UserError("--val-fraction + --test-fraction must leave photos to train on (< 1).")
    items = candidates(folders, short_side, samples, licence)
    if not items:
        raise UserError("No photos: give folders of photos and/or --samples.")
    partial_out = out.with_name(out.name + ".partial")
    shutil.rmtree(partial_out, ignore_errors=True)
    partial_out.mkdir(parents=True)
    try:  # a failure leaves nothing behind: the next attempt starts clean
        writers = {split: SplitWriter(partial_out, split) for split in SPLITS}
        summary, kept, seen = Summary(found=len(items)), [], NearDuplicates()
        stream = decoded_in_order(items, short_side, workers)
        if progress:
            from rich.progress import track

            stream = track(stream, total=len(items), description="Preparing photos")
        for candidate, decoded in stream:
            if decoded.image is None:
                summary.unreadable.append(candidate.source)
            elif decoded.chroma < min_chroma:
                summary.grey.append(candidate.source)
            elif (original := seen.match(decoded.fingerprints)) is not None:
                summary.duplicates.append(f"{candidate.source} (= {original})")
            else:
                seen.add(decoded.fingerprints, candidate.source)
                summary.kept_small += min(decoded.size) <= short_side
                position = split_position(candidate.group)
                split = split_of(position, val_fraction, test_fraction)
                index = writers[split].add(decoded.image)
                decoded.image = None  # stored: keep memory flat
                kept.append(Kept(candidate, decoded, position, split, index))
        ensure_every_split(kept, writers, (val_fraction, test_fraction))
        write_manifest(partial_out, kept, writers)
        counts = {split: writer.close() for split, writer in writers.items()}
        info = {
            "version": STORE_VERSION,
            "short_side": short_side,
            "counts": counts,
            "min_chroma": min_chroma,
            "fractions": {"val": val_fraction, "test": test_fraction},
            "found": summary.found,
            "left_out": {k: len(getattr(summary, k)) for k in ("unreadable", "grey", "duplicates")},
            "sources": [str(Path(f).expanduser()) for f in folders]
            + (["skimage"] if samples else []),
        }
        (partial_out / "store.json").write_text(json.dumps(info, indent=1) + "\n")
        out.parent.mkdir(parents=True, exist_ok=True)
        if out.exists():
            out.rmdir()
        partial_out.rename(out)
    except BaseException:
        shutil.rmtree(partial_out, ignore_errors=True)
        raise
    return out, summary, counts


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m colorization.prepare",
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split("\n\n", 2)[2],
    )
    parser.add_argument("folders", nargs="*", help="folders of photos (searched recursively)")
    parser.add_argument("--out", required=True, help="the store folder to create")
    parser.add_argument("--samples", action="store_true", help="add scikit-image's photos")
    parser.add_argument("--short-side", type=int, default=256, help="stored shorter side")
    parser.add_argument("--val-fraction", type=float, default=0.05)
    parser.add_argument("--test-fraction", type=float, default=0.05)
    parser.add_argument("--min-chroma", type=float, default=4.0, help="below: near-grey, left out")
    parser.add_argument("--licence", help="licence text for every photo of the folders")
    parser.add_argument("--workers", type=int, default=0, help="decoding processes (0: this one)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    try:
        out, summary, counts = prepare(
            args.folders,
            args.out,
            args.short_side,
            args.val_fraction,
            args.test_fraction,
            args.min_chroma,
            args.samples,
            args.licence,
            args.workers,
            progress=sys.stderr.isatty(),
        )
    except Exception as error:
        exit_on_user_error(error, lambda message: print(f"error: {message}", file=sys.stderr))
        raise
    kept = sum(counts.values())
    print(
        f"Wrote {shown(out)}: {kept} of {summary.found} photos (train {counts['train']}, val "
        f"{counts['val']}, test {counts['test']}; {summary.kept_small} kept at their own size, "
        f"at most {args.short_side} px); left out: {len(summary.unreadable)} unreadable, "
        f"{len(summary.grey)} greyscale or near-grey, {len(summary.duplicates)} duplicates "
        "(the first of each listed below)"
    )
    for kind in ("unreadable", "grey", "duplicates"):
        for source in getattr(summary, kind)[:10]:
            print(f"  {kind}: {source}")


if __name__ == "__main__":
    main()
