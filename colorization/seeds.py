"""Seeds that name a draw instead of continuing a stream: a sample's crop, an epoch's order, a
training step's hints come from a seed derived from (run seed, what, where), so they do not
depend on what was drawn before them, on how many loader workers ran, or on where a run
stopped and resumed (counter-based randomness; see docs/never-lose-work.md)."""

from __future__ import annotations

import hashlib
import logging
import os
import random

log = logging.getLogger(__name__)

SEED_VARIABLE = "PL_GLOBAL_SEED"  # where Lightning's seed_everything records the run's seed


def derived_seed(*parts: object) -> int:
    """A 63-bit seed from ``parts`` (stable across processes and runs, unlike ``hash``)."""
    digest = hashlib.blake2b("/".join(map(str, parts)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little") >> 1


def drawn_seed() -> int:
    """A fresh seed for a run configured with ``seed=null``."""
    return random.SystemRandom().randrange(2**31)


def chosen_seed(configured: int | None, recorded: int | None = None) -> int:
    """The run's seed: the one its checkpoint ``recorded`` (a resumed run goes on with the
    draws it began with), else the configured one; for ``seed=null``, the one this job's
    launcher recorded (a DDP rank takes its first rank's), else a drawn one, logged."""
    if recorded is not None:
        if configured is not None and int(configured) != recorded:
            log.warning(
                "seed=%s: this run resumes with the seed it began with, %d (a new seed is a new "
                "run: give another run_name or resume=false).",
                configured,
                recorded,
            )
        return recorded
    if configured is not None:
        return int(configured)
    inherited = os.environ.get(SEED_VARIABLE)
    if inherited is not None:
        return int(inherited)
    seed = drawn_seed()
    log.info("seed=null: this run draws with seed %d (give seed=%d to repeat it).", seed, seed)
    return seed


def run_seed() -> int:
    """The seed ``seed_everything`` recorded for this run (a drawn one outside a run)."""
    seed = os.environ.get(SEED_VARIABLE)
    return int(seed) if seed is not None else drawn_seed()
