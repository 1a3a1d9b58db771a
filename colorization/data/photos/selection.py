"""Which photos of a corpus go into a store: each described (in worker processes), the
unreadable, near-grey and near-duplicate ones left out and counted, each kept one in its split."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import partial

from colorization.data.photos.corpus import (
    Candidate,
    Described,
    describe,
    split_of,
    split_position,
    split_ranges,
)
from colorization.data.photos.duplicates import NearDuplicates
from colorization.data.photos.store import SPLITS


@dataclass
class Summary:
    found: int = 0
    unreadable: list[str] = field(default_factory=list)
    grey: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    kept_small: int = 0

    @property
    def left_out(self) -> int:
        return len(self.unreadable) + len(self.grey) + len(self.duplicates)


def _single_threaded() -> None:
    import torch

    torch.set_num_threads(1)


def described_in_order(
    items: list[Candidate], short_side: int, workers: int
) -> Iterator[tuple[Candidate, Described]]:
    """Each candidate with its description, in order (in ``workers`` processes if > 0)."""
    work = partial(describe, short_side=short_side)
    if workers <= 0:
        yield from ((item, work(item)) for item in items)
        return
    import multiprocessing

    # spawn: workers forked from a process whose torch already runs threads can hang
    with multiprocessing.get_context("spawn").Pool(workers, initializer=_single_threaded) as pool:
        yield from zip(items, pool.imap(work, items, chunksize=32), strict=True)


@dataclass
class Kept:
    candidate: Candidate
    size: tuple[int, int]
    stored: tuple[int, int]
    position: float
    split: str


def with_progress(
    stream: Iterable[tuple[Candidate, Described]], total: int, summary: Summary
) -> Iterator[tuple[Candidate, Described]]:
    """The stream, with a bar on the terminal: photos/s, photos left out so far, time to go."""
    from tqdm import tqdm

    with tqdm(total=total, unit="photo", desc="Checking photos", smoothing=0.05) as bar:
        for entry in stream:
            yield entry
            bar.update()
            if bar.n % 64 == 0 or bar.n == total:
                bar.set_postfix(left_out=summary.left_out, refresh=False)


def choose(
    stream: Iterable[tuple[Candidate, Described]],
    summary: Summary,
    min_chroma: float,
    fractions: tuple[float, float],
    short_side: int,
) -> list[Kept]:
    """The photos to store, in order: unreadable, near-grey and near-duplicate ones left out
    (and counted in ``summary``), each kept one in its split."""
    seen, kept = NearDuplicates(), []
    for candidate, described in stream:
        if not described.readable:
            summary.unreadable.append(candidate.source)
        elif described.chroma < min_chroma:
            summary.grey.append(candidate.source)
        elif (original := seen.match(described.fingerprints)) is not None:
            summary.duplicates.append(f"{candidate.source} (= {original})")
        else:
            seen.add(described.fingerprints, candidate.source)
            summary.kept_small += min(described.size) <= short_side
            position = split_position(candidate.group)
            split = split_of(position, *fractions)
            kept.append(Kept(candidate, described.size, described.stored, position, split))
    ensure_every_split(kept, fractions)
    return kept


def ensure_every_split(kept: list[Kept], fractions: tuple[float, float]) -> None:
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
        chosen.split = split


def by_split(kept: list[Kept]) -> dict[str, list[Kept]]:
    """The kept photos of each split, in the order they were found (their index in it)."""
    return {split: [k for k in kept if k.split == split] for split in SPLITS}
