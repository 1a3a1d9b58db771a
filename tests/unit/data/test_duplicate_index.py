"""The near-duplicate index (faiss' multi-index hashing): what it finds is what comparing with
every kept photo finds, whatever the number of photos kept."""

from __future__ import annotations

import numpy as np
import pytest

from colorization.data.photos.duplicates import (
    NEAR_DUPLICATE_BITS,
    PRINTS_PER_PHOTO,
    NearDuplicates,
)

RNG = np.random.default_rng(3)


def random_prints(count: int) -> np.ndarray:
    return RNG.integers(0, 2**63, (count, PRINTS_PER_PHOTO), dtype=np.uint64) * 2 + 1


def flipped(value: int, bits: int, offset: int = 0) -> int:
    """``value`` with ``bits`` bits flipped, spread over the 64 (so across the index's bands)."""
    for bit in range(bits):
        value ^= 1 << ((offset + bit * 13) % 64)
    return value


def as_tuple(row: np.ndarray) -> tuple[int, ...]:
    return tuple(int(value) for value in row)


@pytest.mark.parametrize("bits", range(NEAR_DUPLICATE_BITS + 3))
def test_a_fingerprint_within_the_distance_is_found_and_one_beyond_is_not(bits: int) -> None:
    kept = random_prints(500)
    seen = NearDuplicates()
    seen.add_many(kept, [f"p{i}" for i in range(len(kept))])
    target = 123
    new = random_prints(1)[0]
    new[0] = flipped(int(kept[target, 0]), bits, offset=bits)
    expected = f"p{target}" if bits <= NEAR_DUPLICATE_BITS else None
    assert seen.match(as_tuple(new)) == expected


def test_a_copy_matches_through_the_crops_in_both_directions() -> None:
    kept = random_prints(50)
    seen = NearDuplicates()
    for index, row in enumerate(kept):
        seen.add(as_tuple(row), f"p{index}")
    # the new photo is a crop of kept photo 7: its whole print is near one of 7's crops'
    cut = random_prints(1)[0]
    cut[0] = flipped(int(kept[7, 5]), 2)
    assert seen.match(as_tuple(cut)) == "p7"
    # kept photo 9 is a crop of the new one: one of the new photo's crops is near 9's print
    larger = random_prints(1)[0]
    larger[11] = flipped(int(kept[9, 0]), 3)
    assert seen.match(as_tuple(larger)) == "p9"
    # a crop near another photo's crop is no evidence: neither print is a whole photo's
    unrelated = random_prints(1)[0]
    unrelated[4] = kept[20, 4]
    assert seen.match(as_tuple(unrelated)) is None


def test_the_nearest_kept_photo_wins_and_a_tie_goes_to_the_first_kept() -> None:
    kept = random_prints(3)
    kept[1, 0] = flipped(int(kept[0, 0]), 6)  # far enough from 0 to be kept as distinct
    kept[2, 0] = flipped(int(kept[0, 0]), 6, offset=32)
    seen = NearDuplicates()
    seen.add_many(kept, ["first", "second", "third"])
    new = random_prints(1)[0]
    new[0] = flipped(int(kept[1, 0]), 1)
    assert seen.match(as_tuple(new)) == "second"
    tie = random_prints(1)[0]
    tie[0] = kept[0, 0]
    seen.add(as_tuple(tie), "copy of first")
    assert seen.match(as_tuple(tie)) == "first"


def test_adding_many_is_adding_each_in_order() -> None:
    kept, queries = random_prints(300), random_prints(40)
    for index, row in enumerate(queries[:20]):
        row[0] = flipped(int(kept[index * 7, 0]), index % 5)
    one_by_one, at_once = NearDuplicates(), NearDuplicates()
    for index, row in enumerate(kept):
        one_by_one.add(as_tuple(row), f"p{index}")
    at_once.add_many(kept, [f"p{index}" for index in range(len(kept))])
    assert len(one_by_one) == len(at_once) == 300
    for row in queries:
        assert one_by_one.match(as_tuple(row)) == at_once.match(as_tuple(row))
    assert sum(at_once.match(as_tuple(row)) is not None for row in queries) == 20


def test_the_index_agrees_with_comparing_every_pair() -> None:
    """Brute force over every kept photo's prints (the 1.4 search) gives the same answers."""
    kept, queries = random_prints(2000), random_prints(300)
    for index, row in enumerate(queries[:150]):
        column = index % PRINTS_PER_PHOTO
        row[0] = flipped(int(kept[index * 13, column]), index % 7, offset=index)
    seen = NearDuplicates()
    seen.add_many(kept, [str(i) for i in range(len(kept))])

    def bits(values: np.ndarray) -> np.ndarray:
        return np.unpackbits(values[..., None].view(np.uint8), axis=-1).sum(axis=-1)

    for row in queries:
        theirs_cut = bits(kept ^ row[0]).min(axis=1)
        mine_cut = bits(kept[:, :1] ^ row[None, :]).min(axis=1)
        distances = np.minimum(theirs_cut, mine_cut)
        closest = int(distances.argmin())
        expected = str(closest) if distances[closest] <= NEAR_DUPLICATE_BITS else None
        assert seen.match(as_tuple(row)) == expected
