"""Random crops streamed from a photo store's train split by LitData: the split's chunks are
shared among ranks and loader workers by LitData, and the loader's position goes into each
checkpoint (Lightning saves a stateful loader's ``state_dict``), so a run killed mid-epoch
continues with the photos it had not yet seen.

A crop depends only on the run's seed, the pass over the split (LitData's epoch of the split's
dataset: with a number of crops per epoch, it counts the passes, which go on across epochs) and
the photo: after a resume the same photo in the same pass gives the same crop, and each pass
cuts each photo anew.
"""

from __future__ import annotations

import itertools
import logging
import warnings
from collections.abc import Iterator, Sequence
from typing import Any

import torch
import torch.distributed as dist
from litdata import StreamingDataLoader, StreamingDataset
from torchvision.transforms import v2

import colorization.data.photos.location as location
from colorization.data.photos.store import decode
from colorization.data.sample_order import warn_not_exact
from colorization.seeds import derived_seed, run_seed

log = logging.getLogger(__name__)


class StoredCrops(StreamingDataset):
    """The train split's photos, shuffled, each as a random resized crop of ``size`` (area
    fraction in ``scale``, aspect 3:4..4:3), flipped at random."""

    def __init__(
        self, store: str, size: int, scale: Sequence[float], seed: int, **options: Any
    ) -> None:
        with warnings.catch_warnings():  # LitData's notes on its own defaults
            warnings.simplefilter("ignore", UserWarning)
            super().__init__(location.join(store, "train"), shuffle=True, seed=seed, **options)
        self.crop_seed = seed
        self.crop = v2.Compose(
            [
                v2.RandomResizedCrop(size, scale=tuple(scale), antialias=True),
                v2.RandomHorizontalFlip(),
            ]
        )

    def __getitem__(self, index: Any) -> dict[str, Any]:
        item = super().__getitem__(index)
        image = decode(item["jpeg"])
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(derived_seed(self.crop_seed, self.current_epoch, item["index"]))
            crop = self.crop(image)
        return {"image": crop, "index": item["index"]}


def train_stream(store: str, size: int, scale: Sequence[float]) -> StoredCrops:
    """The streamed training set: the train split's photos as crops, pass after pass."""
    return StoredCrops(store, size, scale, run_seed())


class ResumableLoader(StreamingDataLoader):
    """LitData's loader (its ``state_dict``, the position in the current pass over the split, is
    what a checkpoint keeps), with epochs of a number of batches.

    Without ``batches_per_epoch`` an epoch is one pass. LitData clears its "resumed" mark when a
    pass's iterator runs out; Lightning stops asking once it has the loader's ``len()`` batches,
    so the iterator of a resumed epoch never runs out and LitData would take the next epoch for
    the resumed one again (the same order, the same crops): a new iteration after a resumed one
    therefore clears the mark itself.

    With ``batches_per_epoch``, the passes run on from epoch to epoch, each new pass shuffled and
    cropped anew, and an epoch takes the next that many batches. (Not LitData's
    ``ParallelStreamingDataset(length=...)``: with loader workers, it resumed at another place
    than where it stopped.)
    """

    def __init__(self, *args: Any, batches_per_epoch: int | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.batches_per_epoch = batches_per_epoch
        self._passes: Iterator[Any] | None = None
        self._resumed_epoch_begun = False

    def __len__(self) -> int:
        return self.batches_per_epoch if self.batches_per_epoch is not None else super().__len__()

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """The position a checkpoint recorded; where LitData cannot take it up (the loader's
        workers, the batch size or the ranks changed where it needs them equal), a warning,
        and the interrupted epoch starts over: the weights trained are kept either way."""
        self._passes = None
        recorded = state.get("dataset", {})
        if isinstance(recorded.get("seed"), int):  # a seed=null run draws a new seed
            self.dataset.seed = self.dataset.crop_seed = recorded["seed"]
        changes = self._changes_since(recorded)
        if changes:
            warn_not_exact("; ".join(changes))
        try:
            super().load_state_dict(state)
        except (ValueError, KeyError, TypeError) as error:
            log.warning(
                "The training loader's position in its epoch could not be restored (%s): the "
                "interrupted epoch starts over; this run continues, but not exactly as the run "
                "it resumes would have.",
                error,
            )
            self.restore = False

    def _changes_since(self, recorded: dict[str, Any]) -> list[str]:
        """What differs from the loader whose state is ``recorded``: LitData resumes another
        batch size, number of workers or of ranks at the same share of the pass, in another
        order of samples."""
        ranks = dist.get_world_size() if dist.is_available() and dist.is_initialized() else 1
        now = {"batch_size": self.batch_size, "num_workers": max(1, self.num_workers)}
        now["world_size"] = ranks
        names = {"batch_size": "batch size", "num_workers": "loader workers", "world_size": "ranks"}
        return [
            f"{names[key]} {recorded[key]} -> {value}"
            for key, value in now.items()
            if key in recorded and recorded[key] != value
        ]

    def __iter__(self) -> Any:
        if self.batches_per_epoch is not None:
            if self._passes is None:
                self._passes = self._endless_passes()
            return itertools.islice(self._passes, self.batches_per_epoch)
        if self._resumed_epoch_begun:
            self.restore = False
        self._resumed_epoch_begun = self.restore
        return super().__iter__()

    def _endless_passes(self) -> Iterator[Any]:
        while True:  # each pass runs out, so LitData begins the next one anew
            yield from super().__iter__()


def train_loader(
    dataset: StoredCrops,
    batch_size: int,
    samples_per_epoch: int | None = None,
    world_size: int = 1,
    **options: Any,
) -> ResumableLoader:
    """The loader of ``dataset``: an epoch is one pass, or ``samples_per_epoch`` crops (shared
    among ``world_size`` ranks)."""
    batches = None
    if samples_per_epoch is not None:
        batches = max(1, samples_per_epoch // world_size // batch_size)
    return ResumableLoader(dataset, batch_size=batch_size, batches_per_epoch=batches, **options)
