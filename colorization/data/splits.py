"""Train/validation hold-out splits that keep related items (one scene, one pair) together."""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from typing import TypeVar

T = TypeVar("T")


def holdout_split(
    items: Sequence[T],
    group_of: Callable[[T], str],
    val_fraction: float,
    seed: int,
    what: str,
    fix: str,
) -> tuple[list[T], list[T]]:
    """Hold out ``val_fraction`` of the groups (at least one, never all), reproducibly by
    ``seed``; items of one group always land on the same side. With fewer than 2 groups the
    error counts them as ``what`` and ends with ``fix``."""
    if not 0.0 < val_fraction < 1.0:
        raise ValueError(f"data.val_fraction must be in (0, 1), got {val_fraction}.")
    groups = sorted({group_of(item) for item in items})
    if len(groups) < 2:
        raise ValueError(
            f"Need at least 2 {what} to hold some out for validation, found {len(groups)}. {fix}"
        )
    random.Random(seed).shuffle(groups)
    n_val = min(max(1, round(val_fraction * len(groups))), len(groups) - 1)
    val_groups = set(groups[:n_val])
    train = [item for item in items if group_of(item) not in val_groups]
    val = [item for item in items if group_of(item) in val_groups]
    return train, val
