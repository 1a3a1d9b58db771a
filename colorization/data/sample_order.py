"""A training epoch that a resumed run takes up exactly where the run it continues stopped.

Three pieces, each independent of how many loader workers run and of where a run stopped:

- :class:`EpochOrder` draws the epoch's order of samples from (seed, epoch), shares it among
  ranks, and hands each sample a seed of its own, drawn from (seed, epoch, sample);
- :class:`SeededSamples` makes a sample with the torch generator seeded by that seed, so its
  crop, flip, hints, flare, shapes or noise depend on nothing else (the datasets draw from
  torch's global generator: forking it here spares each dataset a generator argument);
- :class:`StatefulLoader` counts the batches it has handed out; its ``state_dict`` is what
  Lightning keeps in a checkpoint for a stateful loader, and ``load_state_dict`` sets the order
  to start there, so a resumed epoch skips what was trained without loading it.

Counter-based randomness, as in the deterministic loaders of MosaicML's ``streaming`` and
torchtitan (see docs/never-lose-work.md for what holds and what does not).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any, NamedTuple

import torch
from torch.utils.data import DataLoader, Dataset, DistributedSampler

from colorization.seeds import derived_seed

log = logging.getLogger(__name__)


def warn_not_exact(why: str) -> None:
    """The one line a resume that cannot continue its run exactly logs, with the reasons."""
    log.warning(
        "This run continues, but not exactly as the run it resumes would have (%s): see "
        "docs/never-lose-work.md.",
        why,
    )


class SampleKey(NamedTuple):
    """What :class:`EpochOrder` yields: the dataset's index and the seed of this draw of it."""

    index: int
    seed: int


class EpochOrder(DistributedSampler):
    """The samples of an epoch in an order drawn from (seed, epoch), rank ``rank`` of
    ``num_replicas`` taking every ``num_replicas``-th (the tail that does not share evenly is
    left out, as ``DistributedSampler(drop_last=True)``).

    A ``DistributedSampler`` so that Lightning, under DDP, neither replaces it nor wraps it, and
    sets its epoch before each epoch. ``resume_at`` makes the next iteration over ``epoch``
    start at a position of this rank's share.
    """

    def __init__(self, dataset: Dataset, seed: int, num_replicas: int = 1, rank: int = 0) -> None:
        super().__init__(
            dataset, num_replicas=num_replicas, rank=rank, shuffle=True, seed=seed, drop_last=True
        )
        self._resume: tuple[int, int] | None = None
        self._next_start = 0

    @property
    def size(self) -> int:
        return len(self.dataset)

    def resume_at(self, epoch: int, position: int) -> None:
        self.set_epoch(epoch)
        self._resume = (epoch, position)

    def share(self, epoch: int) -> list[int]:
        """This rank's indices of ``epoch``, in order."""
        generator = torch.Generator().manual_seed(derived_seed(self.seed, "order", epoch))
        order = torch.randperm(self.size, generator=generator).tolist()
        return order[self.rank : self.num_samples * self.num_replicas : self.num_replicas]

    def keys(self, epoch: int, start: int = 0) -> Iterator[SampleKey]:
        """This rank's samples of ``epoch`` from position ``start``, each with its seed."""
        seed = self.seed
        return (SampleKey(i, derived_seed(seed, epoch, i)) for i in self.share(epoch)[start:])

    def pending_resume(self) -> int:
        """Where the next iteration starts in this rank's share (and forget it: the iteration
        after starts at 0): the resumed position if it is of the current epoch, else 0."""
        resume, self._resume = self._resume, None
        self._next_start = resume[1] if resume is not None and resume[0] == self.epoch else 0
        return self._next_start

    def __iter__(self) -> Iterator[SampleKey]:  # type: ignore[override]
        # The order is drawn here, not lazily: a loader with workers asks for indices as soon
        # as it is iterated, and Lightning sets the epoch after its first iteration has begun.
        # Each sample's seed is derived as the loader asks for it.
        start, self._next_start = self._next_start, 0
        return self.keys(self.epoch, start)


class SeededSamples(Dataset):
    """``dataset`` read with :class:`SampleKey` s: item ``key.index`` made with torch's global
    generator seeded by ``key.seed`` (and given back as it was, so that with no loader workers
    the training step's own draws are untouched). Plain integer indices read it unseeded."""

    def __init__(self, dataset: Dataset) -> None:
        self.dataset = dataset

    def __len__(self) -> int:
        return len(self.dataset)  # type: ignore[arg-type]

    def __getitem__(self, key: SampleKey | int) -> Any:
        if not isinstance(key, SampleKey):
            return self.dataset[key]
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(key.seed)
            return self.dataset[key.index]


class StatefulLoader(DataLoader):
    """A DataLoader over :class:`SeededSamples` in :class:`EpochOrder`, whose state is the
    position in its epoch: the batches handed out, the batch size and the number of ranks.

    Lightning saves ``state_dict()`` in every checkpoint and hands it to ``load_state_dict``
    on resume, before its first iteration. A resume under another batch size or number of
    ranks starts at the same share of the epoch (by samples), logging that it is not exact.
    Given another sampler (Lightning's ``overfit_batches`` swaps in a sequential one), it is a
    plain DataLoader with no position to keep."""

    def __init__(self, dataset: Dataset, *args: Any, **options: Any) -> None:
        super().__init__(dataset, *args, **options)
        self._epoch = 0
        self._begun_at = 0  # this rank's position where the current iteration began
        self._handed_out = 0  # batches handed out by the current iteration

    @property
    def order(self) -> EpochOrder | None:
        return self.sampler if isinstance(self.sampler, EpochOrder) else None

    def __iter__(self) -> Iterator[Any]:
        order = self.order
        if order is None:
            return super().__iter__()
        pending = order.pending_resume()
        self._epoch, self._begun_at, self._handed_out = order.epoch, pending, 0
        return self._counted(super().__iter__())

    def _counted(self, iterator: Iterator[Any]) -> Iterator[Any]:
        order = self.order
        assert order is not None
        if order.epoch != self._epoch:
            # Lightning iterates a loader before setting its epoch (the first epoch, and the
            # next after a resumed epoch-end checkpoint): begin again in the epoch it set.
            self._epoch, self._begun_at = order.epoch, 0
            iterator = super().__iter__()
        for batch in iterator:
            self._handed_out += 1
            yield batch

    def state_dict(self) -> dict[str, Any]:
        order = self.order
        if order is None:
            return {}
        return {
            "epoch": self._epoch,
            "position": self._begun_at + self._handed_out * self.batch_size,
            "batch_size": self.batch_size,
            "world_size": order.num_replicas,
            "samples": order.size,
            "seed": order.seed,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        order = self.order
        if order is None or not state:
            return
        order.seed = int(state["seed"])
        epoch, position = int(state["epoch"]), int(state["position"])
        reasons = []
        if state["samples"] != order.size:
            reasons.append(f"the epoch holds {order.size} samples, it held {state['samples']}")
            position = 0
        if state["world_size"] != order.num_replicas:
            reasons.append(f"{order.num_replicas} ranks share it, {state['world_size']} did")
            position = position * int(state["world_size"]) // order.num_replicas
        if state["batch_size"] != self.batch_size:
            reasons.append(f"batches of {self.batch_size}, they were {state['batch_size']}")
        if reasons:
            warn_not_exact("; ".join(reasons))
        position = min(position, order.num_samples)
        if position + (self.batch_size if self.drop_last else 1) > order.num_samples:
            epoch, position = epoch + 1, 0  # the epoch was done: the next one begins
        order.resume_at(epoch, position)
        self._epoch, self._begun_at, self._handed_out = epoch, position, 0
