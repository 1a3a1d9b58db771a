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

import logging
import warnings
from collections.abc import Sequence
from typing import Any

import torch
from litdata import ParallelStreamingDataset, StreamingDataLoader, StreamingDataset
from torchvision.transforms import v2

import colorization.data.photos.location as location
from colorization.data.photos.store import decode
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


def _only(samples: tuple[Any, ...]) -> Any:
    return samples[0]


def train_stream(
    store: str, size: int, scale: Sequence[float], samples_per_epoch: int | None
) -> Any:
    """The streamed training set: one pass over the train split per epoch, or (given
    ``samples_per_epoch``) that many crops per epoch, cycling through the split and going on
    where the last epoch stopped (LitData's ``ParallelStreamingDataset``, which keeps that
    position in its state)."""
    crops = StoredCrops(store, size, scale, run_seed())
    if samples_per_epoch is None:
        return crops
    return ParallelStreamingDataset([crops], length=samples_per_epoch, transform=_only)


class ResumableLoader(StreamingDataLoader):
    """LitData's loader (its ``state_dict`` is what a checkpoint keeps), whose next epoch after
    a resumed one is a new epoch.

    LitData clears its "resumed" mark when an epoch's iterator runs out; Lightning stops asking
    once it has the loader's ``len()`` batches, so the iterator of a resumed epoch never runs
    out and LitData would take the next epoch for the resumed one again (the same order, the
    same crops). A new iteration after a resumed one therefore clears the mark itself."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._resumed_epoch_begun = False

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """The position a checkpoint recorded; where LitData cannot take it up (the loader's
        workers, the batch size or the ranks changed where it needs them equal), a warning,
        and the interrupted epoch starts over: the weights trained are kept either way."""
        try:
            super().load_state_dict(state)
        except (ValueError, KeyError, TypeError) as error:
            log.warning(
                "The training loader's position in its epoch could not be restored (%s): the "
                "interrupted epoch starts over.",
                error,
            )
            self.restore = False

    def __iter__(self) -> Any:
        if self._resumed_epoch_begun:
            self.restore = False
        self._resumed_epoch_begun = self.restore
        return super().__iter__()


def train_loader(dataset: Any, batch_size: int, **options: Any) -> ResumableLoader:
    return ResumableLoader(dataset, batch_size=batch_size, **options)
