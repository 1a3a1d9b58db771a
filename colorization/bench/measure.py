"""One benchmark row: train a few steps of a configured task and measure them.

Each row runs in a fresh process (see :mod:`colorization.bench.__main__`), so peak memory,
thread pools and compilation caches of one row do not leak into the next.

Two loops over the same task, network, optimizer, data and settings:

- ``plain``: a hand-written PyTorch loop (autocast, ``GradScaler`` for fp16, ``zero_grad`` /
  ``backward`` / ``step``), calling the task only for its batch preparation and loss;
- ``lightning``: the framework's own path: ``Trainer.fit`` on the task with its training step
  (OOM recovery, loss guard, logging), built from the config exactly as ``train.py`` does.

Data comes either ``memory`` (ready-made batches, so only compute is timed) or ``loader`` (the
task's DataModule with its configured workers, so data waiting shows).
"""

from __future__ import annotations

import itertools
import logging
import tempfile
import time
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import pytorch_lightning as pl
import torch
from omegaconf import DictConfig
from torch.utils.data import DataLoader

from colorization.bench.probes import SYNC_EVERY, BatchList, PeakMemory, StepClock, TimedBatches
from colorization.build import (
    build_datamodule,
    build_task,
    build_trainer,
    optimization_options,
    trainer_config,
)
from colorization.config import compose
from colorization.hardware import configure_float32_math
from colorization.lightning_compat import shutdown_loader_workers
from colorization.seeds import run_seed
from colorization.training.step_seeds import seed_step

AUTOCAST_DTYPES = {"bf16-mixed": torch.bfloat16, "16-mixed": torch.float16}
DISTINCT_BATCHES = 64  # at most this many ready-made batches, cycled, in ``memory`` mode


@dataclass(frozen=True)
class Setting:
    """What one row varies; everything else comes from the composed config."""

    loop: str  # plain | lightning
    precision: str  # as trainer.precision: 32-true | bf16-mixed | 16-mixed | auto
    channels_last: bool | str  # as optimization.channels_last: true | false | auto
    compile: bool = False
    source: str = "memory"  # memory | loader


@dataclass
class Measurement:
    images_per_s: float
    step_ms: float
    peak_mib: float
    data_wait: float  # fraction of the timed window spent waiting for the next batch
    val_metric: str
    val_value: float
    precision: str  # resolved
    channels_last: bool  # resolved
    device: str


def setting_overrides(setting: Setting) -> list[str]:
    return [
        f"trainer.precision={setting.precision}",
        f"optimization.channels_last={str(setting.channels_last).lower()}",
        f"optimization.compile={str(setting.compile).lower()}",
    ]


def compose_for_bench(overrides: Sequence[str], output_dir: str) -> DictConfig:
    """The user's training config, quieted: no checkpoints, loggers or progress bars."""
    quiet = [
        "callbacks=none",
        "logger=none",
        "print_config=false",
        "+trainer.enable_progress_bar=false",
        "+trainer.enable_model_summary=false",
        "+trainer.enable_checkpointing=false",
        "+trainer.num_sanity_val_steps=0",
        "+trainer.limit_val_batches=0",
    ]
    return compose([*overrides, *quiet], output_dir=output_dir)


def autocast_for(device: torch.device, precision: str) -> torch.autocast:
    """The autocast region a ``trainer.precision`` value implies (disabled for 32-true)."""
    dtype = AUTOCAST_DTYPES.get(precision)
    return torch.autocast(device.type, dtype=dtype or torch.float32, enabled=dtype is not None)


def bench_device(cfg: DictConfig) -> torch.device:
    accelerator = str(cfg.trainer.get("accelerator", "auto"))
    if torch.cuda.is_available() and accelerator in ("auto", "gpu", "cuda"):
        return torch.device("cuda")
    return torch.device("cpu")


def to_device(batch: dict[str, torch.Tensor], device: torch.device) -> dict[str, torch.Tensor]:
    return {key: value.to(device, non_blocking=True) for key, value in batch.items()}


def ready_made_batches(datamodule: pl.LightningDataModule, count: int) -> list[Any]:
    """``count`` training batches made in this process with no loader workers: workers forked
    from a row's process sometimes aborted at shutdown (docs/benchmark.md)."""
    workers = datamodule.hparams.num_workers
    datamodule.hparams.num_workers = 0
    try:
        return list(itertools.islice(iter(datamodule.train_dataloader()), count))
    finally:
        datamodule.hparams.num_workers = workers


def quiet_worker() -> None:
    """Keep a row's process to its results: no Lightning banners, tips or warnings."""
    warnings.filterwarnings("ignore")
    for name in ("pytorch_lightning", "lightning_fabric", "lightning"):
        logging.getLogger(name).setLevel(logging.ERROR)


def measure(setting: Setting, overrides: Sequence[str], steps: int, warmup: int) -> dict[str, Any]:
    """Train ``warmup + steps`` steps; time the last ``steps``. Returns a flat dict."""
    quiet_worker()
    with tempfile.TemporaryDirectory(prefix="colorization-bench-") as output_dir:
        total = warmup + steps
        steps_override = f"+trainer.max_steps={total}"
        cfg = compose_for_bench(
            [*overrides, *setting_overrides(setting), steps_override], output_dir
        )
        pl.seed_everything(cfg.get("seed") or 0, verbose=False)
        datamodule = build_datamodule(cfg)
        datamodule.setup("fit")
        if setting.source == "memory":
            batches = ready_made_batches(datamodule, min(total, DISTINCT_BATCHES))
            loader: Any = DataLoader(BatchList(batches, total), batch_size=None)
        else:
            loader = datamodule.train_dataloader()
        sync_every = 1 if bench_device(cfg).type == "cpu" else SYNC_EVERY
        clock = StepClock(TimedBatches(loader), warmup, steps, sync_every)
        run = lightning_loop if setting.loop == "lightning" else plain_loop
        started = time.perf_counter()
        result = run(cfg, clock)
        loop_seconds = time.perf_counter() - started
        shutdown_loader_workers(loader)  # now, not noisily at exit
        metric, value = validation_score(result.task, datamodule, result.device, result.precision)
        measurement = Measurement(
            images_per_s=clock.images_per_s(),
            step_ms=1000 * clock.median_step(),
            peak_mib=result.peak_mib,
            data_wait=clock.data_wait(),
            val_metric=metric,
            val_value=value,
            precision=result.precision,
            channels_last=result.channels_last,
            device=result.device.type,
        )
        return {**asdict(setting), **asdict(measurement), "loop_seconds": loop_seconds}


@dataclass
class _LoopResult:
    task: Any
    device: torch.device
    precision: str  # resolved
    channels_last: bool  # resolved
    peak_mib: float


def plain_loop(cfg: DictConfig, clock: StepClock) -> _LoopResult:
    """The reference: the same task's data preparation and loss in a hand-written loop."""
    channels_last = optimization_options(cfg).get("channels_last", False)
    device = bench_device(cfg)
    configure_float32_math(str(cfg.trainer.get("accelerator", "auto")))  # as build_trainer
    task = build_task(cfg).to(device).train()
    optimizer = task.optimizer_factory(params=task.parameters())
    precision = str(trainer_config(cfg).precision)
    scaler = torch.amp.GradScaler(device.type) if precision == "16-mixed" else None

    def batches() -> Iterator[tuple[int, int, dict[str, torch.Tensor]]]:
        for epoch in itertools.count():  # epochs until enough steps
            for index, batch in enumerate(clock.batches):
                yield epoch, index, batch

    seed = run_seed()
    with PeakMemory(device) as memory:
        for epoch, index, batch in batches():
            seed_step(seed, epoch, index)  # as the task does at each batch's start
            batch = to_device(batch, device)
            with autocast_for(device, precision):
                prepared = task.prepare_batch(batch, "train")
                loss = task.compute_loss(task(prepared.inputs), prepared.target)
            optimizer.zero_grad(set_to_none=True)
            if scaler is not None:
                scaler.scale(loss).backward()
                scaler.step(optimizer)
                scaler.update()
            else:
                loss.backward()
                optimizer.step()
            clock.step_done(batch, device)
            if clock.finished:
                break
    return _LoopResult(task, device, precision, channels_last, memory.peak_mib)


class ClockCallback(pl.Callback):
    """Tells the clock when Lightning finished a training batch."""

    def __init__(self, clock: StepClock) -> None:
        self.clock = clock

    def on_train_batch_end(
        self, trainer: pl.Trainer, module: Any, outputs: Any, batch: Any, batch_idx: int
    ) -> None:
        self.clock.step_done(batch, module.device)
        trainer.should_stop = self.clock.finished


def lightning_loop(cfg: DictConfig, clock: StepClock) -> _LoopResult:
    """The framework's path: the task and Trainer built from the config as ``train.py`` does."""
    trainer, _ = build_trainer(cfg, extra_callbacks=[ClockCallback(clock)])
    task = build_task(cfg)
    channels_last = optimization_options(cfg).get("channels_last", False)
    device = bench_device(cfg)
    with PeakMemory(device) as memory:
        trainer.fit(task, train_dataloaders=clock.batches)
    if not clock.finished:
        raise RuntimeError(f"Only {clock.done} of {clock.warmup + clock.steps} steps ran.")
    return _LoopResult(task, device, str(trainer.precision), channels_last, memory.peak_mib)


@torch.no_grad()
def validation_score(
    task: Any, datamodule: pl.LightningDataModule, device: torch.device, precision: str
) -> tuple[str, float]:
    """The task's monitored validation metric after the measured steps (quality check)."""
    task.to(device).eval()
    metrics = task.metrics["val"]
    for metric in metrics.values():
        metric.reset()
    loader = datamodule.val_dataloader()
    for batch in loader:
        with autocast_for(device, precision):
            sample = task.prepare_batch(to_device(batch, device), "val")
            pred = task(sample.inputs)
        task.update_metrics(metrics, sample, pred.float())
    shutdown_loader_workers(loader)
    name = str(task.hparams.monitor).split("/", 1)[-1]
    return task.hparams.monitor, float(metrics[name].compute())


def measure_loader(overrides: Sequence[str], batches: int) -> dict[str, Any]:
    """Images/s of the DataModule's training loader alone (worker start-up excluded)."""
    quiet_worker()
    with tempfile.TemporaryDirectory(prefix="colorization-bench-") as output_dir:
        cfg = compose_for_bench(overrides, output_dir)
        datamodule = build_datamodule(cfg)
        datamodule.setup("fit")
        loader = datamodule.train_dataloader()
        iterator = iter(loader)
        next(iterator)  # workers started, first batch made
        images, start = 0, time.perf_counter()
        for batch in itertools.islice(iterator, batches):
            images += len(next(iter(batch.values())))
        seconds = time.perf_counter() - start
        shutdown_loader_workers(loader)
        return {
            "data": type(datamodule).__name__,
            "num_workers": loader.num_workers,
            "images_per_s": images / seconds,
        }
