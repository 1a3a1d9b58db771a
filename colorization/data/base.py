"""What every DataModule here shares: the batch-size attribute Lightning's finder sets, and
the DataLoader settings (persistent workers, pinned memory on CUDA, drop_last in training)."""

from __future__ import annotations

import os
import signal
from collections.abc import Callable, Sequence
from typing import Any

import pytorch_lightning as pl
import torch
from torch.utils.data import DataLoader, Dataset, Sampler

from colorization.data.images import DEFAULT_MAX_PIXELS
from colorization.data.sample_order import EpochOrder, SeededSamples, StatefulLoader
from colorization.hardware import resolve_num_workers
from colorization.lightning_compat import UnrepeatedDistributedSampler, pl_worker_init_function
from colorization.seeds import run_seed

# DataModule settings that change how the data is loaded, not what it holds: a run may resume
# with others (colorization.runs.record), the report counts runs that differ only in them as
# one configuration, and measurements of the data ignore them. (persistent_workers: 0.x's.)
LOADING_SETTINGS = (
    "num_workers",
    "multiprocessing_context",
    "pin_memory",
    "persistent_workers",
    "cache",
    "val_batch_size",
)

# The signals that stop a run; the main process handles them (colorization.runs.interrupt), so
# a signal sent to the whole process group must not kill the loader workers mid-epoch.
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


def ignore_stop_signals() -> None:
    for signum in STOP_SIGNALS:
        signal.signal(signum, signal.SIG_IGN)


def checked_crop_scale(crop_scale: Sequence[float]) -> tuple[float, ...]:
    """``crop_scale`` as a tuple of plain floats (hyper-parameters go into checkpoints, which load
    with ``weights_only``), after checking it is an area range in (0, 1]."""
    if len(crop_scale) != 2 or not 0.0 < crop_scale[0] <= crop_scale[1] <= 1.0:
        raise ValueError(f"data.crop_scale must be [min, max] in (0, 1], got {crop_scale}.")
    return tuple(float(x) for x in crop_scale)


def both_or_neither(first: str, first_value: Any, second: str, second_value: Any, why: str) -> None:
    """Folder options that only make sense together (images and masks, inputs and targets)."""
    if (first_value is None) != (second_value is None):
        raise ValueError(f"Give both data.{first} and data.{second}, or neither{why}.")


WORKER_START_METHODS = (None, "fork", "forkserver", "spawn")


class WorkerInit:
    """Each DataLoader worker ignores SIGTERM and SIGINT (the main process stops training and
    shuts the workers down; see :mod:`colorization.runs.interrupt`), then seeds itself as Lightning
    would (``seed_everything(workers=True)``), which Lightning skips for loaders that bring their
    own ``worker_init_fn``."""

    def __init__(self, rank: int) -> None:
        self.rank = rank

    def __call__(self, worker_id: int) -> None:
        ignore_stop_signals()
        if int(os.environ.get("PL_SEED_WORKERS", 0)):
            pl_worker_init_function(worker_id, rank=self.rank)


class ImageDataModule(pl.LightningDataModule):
    """The arguments every DataModule takes, checked, and saved as hyper-parameters together
    with the subclass's own (a subclass checks its arguments, then calls this ``__init__``).
    Subclasses build ``train_set`` / ``val_set`` in ``setup``.

    Args:
        image_size: side of the square training crops or patches.
        batch_size / val_batch_size: loader batch sizes (val defaults to ``batch_size``).
        num_workers: DataLoader worker processes; ``auto``: one per core but one, 2 to 8.
        multiprocessing_context: how the workers start: ``None`` (the platform's default: fork
            on Linux), ``forkserver`` or ``spawn`` (from a clean process, inheriting none of the
            parent's threads; see docs/benchmark.md).
        val_fraction / split_seed: share of the data held out for validation when no separate
            validation folder is given, and the seed that makes the split reproducible.
        train_samples_per_epoch: training samples drawn per epoch (``None``, where the
            DataModule streams: one pass over the training data).
        cache: keep decoded images in memory (``None``: the subclass decides).
        pin_memory: pinned host memory (``None``: on where CUDA is available).
        max_pixels: larger images stop at the file check (raise it to use them).
    """

    train_set: Dataset | None = None
    val_set: Dataset | None = None
    test_set: Dataset | None = None
    # Whether an epoch may be one pass over the data (train_samples_per_epoch=None).
    ONE_PASS_EPOCHS = False

    def __init__(
        self,
        image_size: int = 128,
        batch_size: int = 8,
        val_batch_size: int | None = None,
        num_workers: int | str = "auto",
        val_fraction: float = 0.1,
        split_seed: int = 0,
        train_samples_per_epoch: int | None = 512,
        cache: bool | None = None,
        pin_memory: bool | None = None,
        max_pixels: int = DEFAULT_MAX_PIXELS,
        multiprocessing_context: str | None = None,
    ) -> None:
        super().__init__()
        if multiprocessing_context not in WORKER_START_METHODS:
            raise ValueError(
                "data.multiprocessing_context must be null, fork, forkserver or spawn, got "
                f"{multiprocessing_context!r}."
            )
        if image_size < 1:
            raise ValueError(f"data.image_size must be a positive integer, got {image_size}.")
        if batch_size < 1:
            raise ValueError(f"data.batch_size must be >= 1, got {batch_size}.")
        if train_samples_per_epoch is None and not self.ONE_PASS_EPOCHS:
            raise ValueError("data.train_samples_per_epoch must be a number for this data.")
        if train_samples_per_epoch is not None and train_samples_per_epoch < 1:
            raise ValueError(
                f"data.train_samples_per_epoch must be >= 1, got {train_samples_per_epoch}."
            )
        self.save_hyperparameters(logger=False)

    @property
    def batch_size(self) -> int:
        """Training batch size (a settable attribute, as Lightning's batch-size finder expects)."""
        return self.hparams.batch_size

    @batch_size.setter
    def batch_size(self, value: int) -> None:
        self.hparams.batch_size = value

    def _loader(
        self,
        dataset: Dataset,
        batch_size: int,
        shuffle: bool,
        collate_fn: Callable[[list[Any]], Any] | None = None,
    ) -> DataLoader:
        """An evaluation loader, or (``shuffle``) the training loader: a
        :class:`~colorization.data.sample_order.StatefulLoader`, whose order and draws depend on
        the run's seed, the epoch and the sample only, and whose position goes into checkpoints."""
        workers = resolve_num_workers(self.hparams.num_workers)
        options: dict[str, Any] = {
            "batch_size": batch_size,
            "num_workers": workers,
            "persistent_workers": workers > 0,
            "pin_memory": self._pin_memory(),
            "collate_fn": collate_fn,
            "multiprocessing_context": self.hparams.multiprocessing_context if workers else None,
            "worker_init_fn": WorkerInit(self._rank()) if workers > 0 else None,
        }
        if not shuffle:
            return DataLoader(dataset, sampler=self._evaluation_sampler(dataset), **options)
        trainer = self.trainer
        world_size = trainer.world_size if trainer is not None else 1
        order = EpochOrder(dataset, run_seed(), num_replicas=world_size, rank=self._rank())
        # Lightning iterates a loader it has just made before setting its epoch (the first
        # epoch, and every epoch with reload_dataloaders_every_n_epochs).
        order.set_epoch(trainer.current_epoch if trainer is not None else 0)
        options["drop_last"] = order.num_samples >= batch_size
        return self.positioned(StatefulLoader(SeededSamples(dataset), sampler=order, **options))

    # The training loader's position, kept by the DataModule as well: Lightning hands a stateful
    # loader its checkpointed state only when it resumes inside an epoch, not after an epoch-end
    # checkpoint, where a loader that runs on across epochs (the photo store's) needs it too.
    _train_loader: Any = None
    _train_loader_state: dict[str, Any] | None = None

    def positioned(self, loader: Any) -> Any:
        """``loader``, the training loader, at the position a resumed checkpoint recorded."""
        if self._train_loader_state:
            loader.load_state_dict(self._train_loader_state)
            self._train_loader_state = None
        self._train_loader = loader
        return loader

    def state_dict(self) -> dict[str, Any]:
        loader = self._train_loader
        return {"train_loader": loader.state_dict()} if hasattr(loader, "state_dict") else {}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self._train_loader_state = state_dict.get("train_loader")

    def _rank(self) -> int:
        return self.trainer.global_rank if self.trainer is not None else 0

    def _pin_memory(self) -> bool:
        """``pin_memory``, where not given: on where CUDA is available."""
        pin = self.hparams.pin_memory
        return torch.cuda.is_available() if pin is None else bool(pin)

    def _evaluation_sampler(self, dataset: Dataset) -> Sampler | None:
        """Under DDP, each image of a validation or test set goes to exactly one rank.

        Lightning's default distributed sampler pads the set with repeats until every rank has
        as many images, so metrics over N ranks would count some images twice; this one lets
        the ranks' shares differ by one image, and torchmetrics' sync then gives the metrics of
        the whole set, as one process would."""
        trainer = self.trainer
        if trainer is None or trainer.world_size <= 1:
            return None
        if len(dataset) < trainer.world_size:
            raise ValueError(
                f"The evaluation set has {len(dataset)} images but the run has "
                f"{trainer.world_size} processes: each needs at least one. Use fewer devices "
                "or more validation images."
            )
        return UnrepeatedDistributedSampler(
            dataset, num_replicas=trainer.world_size, rank=trainer.global_rank, shuffle=False
        )

    def train_dataloader(self) -> DataLoader:
        return self._loader(self.train_set, self.hparams.batch_size, shuffle=True)

    def val_dataloader(self) -> DataLoader:
        batch = self.hparams.val_batch_size or self.hparams.batch_size
        return self._loader(self.val_set, batch, shuffle=False)

    def test_dataloader(self) -> DataLoader:
        """``test_set`` (a test set of its own, e.g. from ``data.test_root``) as validation
        loads it, else the validation set."""
        if self.test_set is None:
            return self.val_dataloader()
        batch = self.hparams.val_batch_size or self.hparams.batch_size
        return self._loader(self.test_set, batch, shuffle=False)

    def whole_test_images(self) -> Dataset:
        """The test images whole, at their own sizes (what a published evaluation protocol
        tests when it is given no folder); by default the test set as the test loads it."""
        self.setup("test")
        return self.test_dataloader().dataset
