"""The ab-bin prior of a training set (for Zhang et al. 2016's class rebalancing), measured once
and cached in the run folder.

The prior is the count of training pixels per bin, over up to ``images`` training items (evenly
spaced through the set; random crops are drawn from a fixed seed, so the count is reproducible and
the training run's own random draws are left as they were). The cache holds the raw counts with a
fingerprint of the data settings: a resumed run reads them back; another data set measures anew.
"""

from __future__ import annotations

import json
import logging
import random
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.data import Dataset

from colorization.data.base import LOADING_SETTINGS
from colorization.data.colorization.lab import AB_SCALE, rgb_to_normalized_lab
from colorization.losses.ab_bins import count_bins

log = logging.getLogger(__name__)

CACHE_NAME = "ab_prior.json"
PRIOR_SEED = 0
# Data settings that do not change which colours the training set holds: how it is loaded,
# batched, and what is done with files that do not decode.
LOADER_SETTINGS = (*LOADING_SETTINGS, "batch_size", "bad_files")


def data_fingerprint(settings: dict[str, Any], images: int) -> str:
    """What the counts depend on: the data settings (loader-only ones left out) and ``images``."""
    kept = {key: value for key, value in settings.items() if key not in LOADER_SETTINGS}
    return json.dumps({"data": kept, "images": images}, sort_keys=True, default=str)


def measure_bin_counts(dataset: Dataset, centres: torch.Tensor, images: int) -> torch.Tensor:
    """Pixels per bin over up to ``images`` items ``{"image": uint8 (3, H, W), ...}`` of
    ``dataset``, drawn with a fixed seed (the global random states are restored afterwards)."""
    picks = torch.linspace(0, len(dataset) - 1, min(len(dataset), images)).round().long().unique()
    counts = torch.zeros(len(centres), dtype=torch.float64)
    python_state, numpy_state = random.getstate(), np.random.get_state()
    try:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(PRIOR_SEED)
            random.seed(PRIOR_SEED)
            np.random.seed(PRIOR_SEED)
            for index in picks.tolist():
                rgb = dataset[index]["image"].float().unsqueeze(0) / 255.0
                _, ab = rgb_to_normalized_lab(rgb)
                counts += count_bins(ab * AB_SCALE, centres)
    finally:
        random.setstate(python_state)
        np.random.set_state(numpy_state)
    return counts


def cached_bin_counts(
    path: Path, fingerprint: str, bins: int, measure: Any
) -> tuple[torch.Tensor, bool]:
    """The counts cached at ``path`` if they were measured on the same data, else ``measure()``
    (then written there). Returns the counts and whether they came from the cache."""
    if path.is_file():
        try:
            cached = json.loads(path.read_text())
            if cached.get("fingerprint") == fingerprint and len(cached["counts"]) == bins:
                return torch.tensor(cached["counts"], dtype=torch.float64), True
        except (ValueError, KeyError, TypeError):
            log.warning("%s is not a readable ab prior; measuring it again.", path)
    counts = measure()
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".json.partial")
    partial.write_text(json.dumps({"fingerprint": fingerprint, "counts": counts.tolist()}))
    partial.replace(path)  # never a half-written cache
    return counts, False


def training_bin_counts(
    datamodule: Any, centres: torch.Tensor, images: int, folder: Path
) -> torch.Tensor:
    """The bin counts of ``datamodule.train_set``: read from ``folder``'s cache if they were
    measured on the same data, else measured on up to ``images`` items and cached there."""
    dataset = datamodule.train_set
    path = folder / CACHE_NAME
    counts, cached = cached_bin_counts(
        path,
        data_fingerprint(dict(datamodule.hparams), images),
        len(centres),
        lambda: measure_bin_counts(dataset, centres, images),
    )
    source = "read from" if cached else f"measured on {min(len(dataset), images)} crops, in"
    log.info("ab-bin prior for class rebalancing %s %s", source, path)
    return counts
