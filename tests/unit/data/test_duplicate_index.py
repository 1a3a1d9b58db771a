"""The near-duplicate index (faiss' multi-index hashing, then the down fingerprints): what it
finds is what comparing with every kept photo finds, whatever the number of photos kept."""

from __future__ import annotations

import numpy as np
import pytest

from colorization.data.photos.duplicates import (
    DOWN_BITS,
    NEAR_DUPLICATE_BITS,
    PRINTS_PER_PHOTO,
    NearDuplicates,
)

P = PRINTS_PER_PHOTO
RNG = np.random.default_rng(3)


def random_prints(count: int) -> np.ndarray:
    """Rows of fingerprints as :func:`fingerprints` gives them: P across, then P down."""
    return RNG.integers(0, 2**63, (count, 2 * P), dtype=np.uint64) * 2 + 1


def flipped(value: int, bits: int, offset: int = 0) -> int:
    """``value`` with ``bits`` bits flipped, spread over the 64 (so across the index's bands)."""
    for bit in range(bits):
        value ^= 1 << ((offset + bit * 13) % 64)
    return value


def as_tuple(row: np.ndarray) -> tuple[int, ...]:
    return tuple(int(value) for value in row)


def index_of(kept: np.ndarray) -> NearDuplicates:
    seen = NearDuplicates()
    seen.add_many(kept, [f"p{i}" for i in range(len(kept))])
    return seen


def copy_of(kept: np.ndarray, photo: int, across: int, down: int, crop: int = 0) -> np.ndarray:
    """A new photo whose whole fingerprints are ``across`` / ``down`` bits from crop ``crop``'s
    of kept ``photo``."""
    new = random_prints(1)[0]
    new[0] = flipped(int(kept[photo, crop]), across, offset=across)
    new[P] = flipped(int(kept[photo, P + crop]), down, offset=down + 5)
    return new


@pytest.mark.parametrize("bits", range(NEAR_DUPLICATE_BITS + 3))
def test_a_fingerprint_within_the_distance_is_found_and_one_beyond_is_not(bits: int) -> None:
    kept = random_prints(500)
    expected = "p123" if bits <= NEAR_DUPLICATE_BITS else None
    assert index_of(kept).match(as_tuple(copy_of(kept, 123, bits, 2))) == expected


@pytest.mark.parametrize("down", [0, DOWN_BITS, DOWN_BITS + 1, 20])
def test_the_down_fingerprints_must_agree_too(down: int) -> None:
    kept = random_prints(200)
    expected = "p42" if down <= DOWN_BITS else None
    assert index_of(kept).match(as_tuple(copy_of(kept, 42, 1, down, crop=3))) == expected


def test_a_copy_matches_through_the_crops_in_both_directions() -> None:
    kept = random_prints(50)
    seen = NearDuplicates()
    for index, row in enumerate(kept):
        seen.add(as_tuple(row), f"p{index}")
    # the new photo is a crop of kept photo 7: its whole prints are near one of 7's crops'
    assert seen.match(as_tuple(copy_of(kept, 7, 2, 1, crop=5))) == "p7"
    # kept photo 9 is a crop of the new one: one of the new photo's crops is near 9's prints
    larger = random_prints(1)[0]
    larger[11] = flipped(int(kept[9, 0]), 3)
    larger[P + 11] = flipped(int(kept[9, P]), 2)
    assert seen.match(as_tuple(larger)) == "p9"
    # a crop near another photo's crop is no evidence: neither print is a whole photo's
    unrelated = random_prints(1)[0]
    unrelated[4], unrelated[P + 4] = kept[20, 4], kept[20, P + 4]
    assert seen.match(as_tuple(unrelated)) is None


def test_the_nearest_kept_photo_wins_and_a_tie_goes_to_the_first_kept() -> None:
    kept = random_prints(3)
    kept[1, 0] = flipped(int(kept[0, 0]), 6)  # far enough from 0 to be kept as distinct
    kept[2, 0] = flipped(int(kept[0, 0]), 6, offset=32)
    kept[1, P] = kept[2, P] = kept[0, P]
    seen = index_of(kept)
    new = random_prints(1)[0]
    new[0], new[P] = flipped(int(kept[1, 0]), 1), kept[1, P]
    assert seen.match(as_tuple(new)) == "p1"
    tie = kept[0].copy()
    seen.add(as_tuple(tie), "copy of p0")
    assert seen.match(as_tuple(tie)) == "p0"


def test_adding_many_is_adding_each_in_order() -> None:
    kept, queries = random_prints(300), random_prints(40)
    for index in range(20):
        queries[index] = copy_of(kept, index * 7, index % 5, index % 4)
    one_by_one, at_once = NearDuplicates(), index_of(kept)
    for index, row in enumerate(kept):
        one_by_one.add(as_tuple(row), f"p{index}")
    assert len(one_by_one) == len(at_once) == 300
    for row in queries:
        assert one_by_one.match(as_tuple(row)) == at_once.match(as_tuple(row))
    assert sum(at_once.match(as_tuple(row)) is not None for row in queries) == 20
    with pytest.raises(ValueError, match=f"Expected {2 * P} fingerprints"):
        at_once.add((1, 2, 3), "short")


def test_the_index_agrees_with_comparing_every_pair() -> None:
    """Brute force over every kept photo's prints gives the same answers."""
    kept, queries = random_prints(2000), random_prints(300)
    for index in range(150):
        queries[index] = copy_of(kept, index * 13, index % 7, index % 9, crop=index % P)
    seen = index_of(kept)

    def bits(values: np.ndarray) -> np.ndarray:
        return np.unpackbits(values[..., None].view(np.uint8), axis=-1).sum(axis=-1)

    across, down = kept[:, :P], kept[:, P:]
    for row in queries:
        # (mine = whole, theirs = each crop) and (mine = each crop, theirs = whole)
        a = np.concatenate([bits(across ^ row[0]), bits(across[:, :1] ^ row[:P])], axis=1)
        d = np.concatenate([bits(down ^ row[P]), bits(down[:, :1] ^ row[P:])], axis=1)
        total = np.where((a <= NEAR_DUPLICATE_BITS) & (d <= DOWN_BITS), a + d, 10**9).min(axis=1)
        closest = int(total.argmin())  # the first of the nearest
        expected = f"p{closest}" if total[closest] < 10**9 else None
        assert seen.match(as_tuple(row)) == expected
