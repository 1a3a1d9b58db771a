"""Turn folders of photos into a photo store (a LitData dataset per split) that training streams.

    python -m colorization.prepare ~/Pictures /data/places365 --out stores/my_photos [--samples]
    python -m colorization.prepare /data/imagenet/train --out s3://bucket/imagenet --workers 16
    python -m colorization.prepare --convert stores/old_store --out stores/new_store
    python -m colorization.train data=photos data.store=stores/my_photos

Every image under the folders (any layout: ImageNet/Places class folders, COCO, a phone dump;
searched recursively) is checked from a thumbnail (large JPEGs decode straight to it at a reduced
scale): unreadable files, greyscale and near-greyscale photos (95 % of the pixels below
``--min-chroma``, 4 by default, in CIE Lab chroma: a scan of a black-and-white print is below, a
photo with some colour above, a sepia print too) and near-duplicates of a photo kept before (a
copy resized, re-compressed, brightened or cut; 64-bit difference hashes of the photo and of
crops of it, searched in an index) are left out and counted. Each photo's split (train/val/test)
comes from a stable hash of its name (its path inside its folder), so adding photos later never
moves the others; with 3 or more photos every split gets at least one. The kept photos are then
resized to a shorter side of ``--short-side`` (256; smaller photos are kept as they are) and
written by ``litdata.optimize`` as JPEG (quality 95, no chroma subsampling), in ``--workers``
processes for both passes. ``--out`` may be an object store LitData writes to (``s3://``,
``gs://``, ...). ``--samples`` adds the scikit-image photos. ``--convert`` rewrites a store made
by colorization 1.x (raw pixels) in this format, photo for photo.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from functools import partial
from pathlib import Path

from colorization.data.photos.corpus import candidates, stored_photo
from colorization.data.photos.selection import (
    Summary,
    by_split,
    choose,
    described_in_order,
    with_progress,
)
from colorization.data.photos.store_writer import (
    checked_out,
    convert,
    write_manifest,
    write_store,
)
from colorization.errors import UserError, exit_on_user_error


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
) -> tuple[str, Summary, dict[str, int]]:
    """Write the store; returns its location, what was left out, and the photos per split."""
    store = checked_out(out)
    if short_side < 8 or not (0 <= val_fraction < 1 and 0 <= test_fraction < 1):
        raise UserError("Need --short-side >= 8 and fractions in [0, 1).")
    if val_fraction + test_fraction >= 1:
        raise UserError("--val-fraction + --test-fraction must leave photos to train on (< 1).")
    items = candidates(folders, samples, licence)
    if not items:
        raise UserError("No photos: give folders of photos and/or --samples.")
    summary = Summary(found=len(items))
    stream = described_in_order(items, short_side, workers)
    if progress:
        stream = with_progress(stream, len(items), summary)
    kept = by_split(choose(stream, summary, min_chroma, (val_fraction, test_fraction), short_side))
    del items
    inputs = {
        split: [(i, partial(stored_photo, k.candidate, short_side)) for i, k in enumerate(photos)]
        for split, photos in kept.items()
    }
    info = {
        "short_side": short_side,
        "min_chroma": min_chroma,
        "fractions": {"val": val_fraction, "test": test_fraction},
        "found": summary.found,
        "left_out": {k: len(getattr(summary, k)) for k in ("unreadable", "grey", "duplicates")},
        "sources": [str(Path(f).expanduser()) for f in folders] + (["skimage"] if samples else []),
    }
    counts = write_store(store, inputs, partial(write_manifest, splits=kept), info, workers)
    return store, summary, counts


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m colorization.prepare",
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split("\n\n", 2)[2],
    )
    parser.add_argument("folders", nargs="*", help="folders of photos (searched recursively)")
    parser.add_argument("--out", required=True, help="the store to create: a folder or a URL")
    parser.add_argument("--samples", action="store_true", help="add scikit-image's photos")
    parser.add_argument("--short-side", type=int, default=256, help="stored shorter side")
    parser.add_argument("--val-fraction", type=float, default=0.05)
    parser.add_argument("--test-fraction", type=float, default=0.05)
    parser.add_argument("--min-chroma", type=float, default=4.0, help="below: near-grey, left out")
    parser.add_argument("--licence", help="licence text for every photo of the folders")
    parser.add_argument("--workers", type=int, default=0, help="processes (0: this one)")
    parser.add_argument(
        "--convert", metavar="OLD", help="write the store of version 1 at OLD as a LitData store"
    )
    args = parser.parse_args(argv)
    if args.convert and (args.folders or args.samples):
        parser.error("--convert takes no photo folders and no --samples")
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    for chatty in ("faiss", "litdata"):  # their notes on loading and on defaults
        logging.getLogger(chatty).setLevel(logging.WARNING)
    try:
        if args.convert:
            out, counts = convert(args.convert, args.out, args.workers)
            print(f"Wrote {out}: the {sum(counts.values())} photos of {args.convert} ({counts}).")
            return
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
        f"Wrote {out}: {kept} of {summary.found} photos (train {counts['train']}, val "
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
