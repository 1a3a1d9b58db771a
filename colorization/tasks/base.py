"""The image-to-image LightningModule every task builds on.

It owns what all tasks share: the injected network, loss, optimizer/scheduler wiring (Hydra
``_partial_`` configs), the train/val/test loops, metric logging and preview panels. A task
subclass says only how a raw batch becomes network inputs and targets, which metrics it keeps
and what its preview grid shows.

The training step uses Lightning's manual optimisation so that it can protect a run:
out-of-memory errors re-split the batch into micro-batches (see :mod:`.memory`), and losses that
are NaN or explode skip the optimizer step (see :mod:`.guard`). Gradient accumulation and
clipping therefore live here too (``train.py`` hands them over from ``trainer.*``).
"""

from __future__ import annotations

import logging
import random
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytorch_lightning as pl
import torch
from torch import nn
from torchmetrics import Metric

from colorization.tasks.clipping import ClipAlgorithm, clip_gradients_
from colorization.tasks.guard import PERSISTENT_LOSS_HELP, LossGuard
from colorization.tasks.memory import OutOfMemoryRecovery

log = logging.getLogger(__name__)

OptimizerFactory = Callable[..., torch.optim.Optimizer]
SchedulerFactory = Callable[..., Any]
Batch = dict[str, torch.Tensor]


def _batch_length(batch: Batch) -> int:
    """Number of samples in a batch dict (every entry shares the first dimension)."""
    return len(next(iter(batch.values())))


@dataclass
class Sample:
    """A batch made ready for the network: ``inputs`` -> net -> compare with ``target``."""

    inputs: torch.Tensor
    target: torch.Tensor
    extras: dict[str, torch.Tensor] = field(default_factory=dict)


class ImageToImageTask(pl.LightningModule, ABC):
    """Shared training logic. ``net`` is injected (built from ``conf/model``).

    Args:
        net: the network, mapping ``in_channels`` to ``out_channels``.
        loss: a module ``loss(pred, target) -> scalar``.
        optimizer: a partial optimizer (``_partial_: true`` config), called with the parameters.
        scheduler: a partial LR scheduler called with the optimizer, or ``None``; stepped once
            per epoch (reduce-on-plateau with ``monitor``).
        monitor / monitor_mode: the metric that checkpoints and plateau schedulers follow.
        in_channels / out_channels: what this task feeds and expects; checked against the net.
        accumulate_grad_batches: batches whose gradients add up to one optimizer step.
        gradient_clip_val / gradient_clip_algorithm: clip at this value by ``norm``, ``value``
            or ``agc`` (adaptive, unit-wise); ``None`` disables clipping.
        oom_recovery: re-split a batch that runs out of memory into micro-batches.
        loss_guard: skips steps with NaN/exploding losses (``None`` disables the guard).
        channels_last: keep weights and inputs in channels-last (NHWC) memory format, the
            layout oneDNN (CPU) and cuDNN tensor cores (CUDA AMP) run convolutions fastest in.
        compile: ``torch.compile`` the network (in place, so checkpoint keys do not change).
    """

    def __init__(
        self,
        net: nn.Module,
        loss: nn.Module,
        optimizer: OptimizerFactory,
        scheduler: SchedulerFactory | None = None,
        monitor: str = "val/loss",
        monitor_mode: str = "min",
        in_channels: int | None = None,
        out_channels: int | None = None,
        accumulate_grad_batches: int = 1,
        gradient_clip_val: float | None = None,
        gradient_clip_algorithm: ClipAlgorithm = "norm",
        oom_recovery: bool = True,
        loss_guard: LossGuard | None = None,
        channels_last: bool = False,
        compile: bool = False,
    ) -> None:
        super().__init__()
        # Only plain values go into checkpoints (modules and factories are rebuilt from the
        # config), so checkpoints load with torch's safe ``weights_only`` unpickler.
        self.save_hyperparameters(
            logger=False,
            ignore=[
                "net", "loss", "optimizer", "scheduler", "hints", "loss_guard",
                "discriminator", "discriminator_optimizer",
            ],
        )  # fmt: skip
        for attribute, expected in (("in_channels", in_channels), ("out_channels", out_channels)):
            actual = getattr(net, attribute, None)
            if expected is not None and actual is not None and actual != expected:
                raise ValueError(
                    f"model.{attribute}={actual} but task {type(self).__name__} needs "
                    f"{expected}. Remove the override of model.{attribute} or set it to {expected}."
                )
        loss_kind = getattr(loss, "kind", "regression")
        if loss_kind != self.loss_kind:
            raise ValueError(
                f"The loss {type(loss).__name__} is a {loss_kind} loss, but "
                f"{type(self).__name__} needs a {self.loss_kind} loss. {self.loss_help}"
            )
        if accumulate_grad_batches < 1:
            raise ValueError(
                f"trainer.accumulate_grad_batches must be >= 1, got {accumulate_grad_batches}."
            )
        if gradient_clip_val is not None and gradient_clip_val <= 0:
            raise ValueError(f"trainer.gradient_clip_val must be > 0, got {gradient_clip_val}.")
        self.automatic_optimization = False
        self.net = net.to(memory_format=torch.channels_last) if channels_last else net
        if compile:
            self.net.compile()
        self.memory_format = torch.channels_last if channels_last else torch.contiguous_format
        self.loss = loss
        self.optimizer_factory = optimizer
        self.scheduler_factory = scheduler
        self.memory = OutOfMemoryRecovery(enabled=oom_recovery)
        self.loss_guard = loss_guard
        self.simulate_oom_above: int | None = None  # test hook: micro-batches larger than this OOM
        self._batches_in_cycle = 0
        self.metrics = nn.ModuleDict(
            {stage: nn.ModuleDict(self.make_metrics()) for stage in ("val", "test")}
        )

    # What targets this task's loss must take, and the loss options that fit it.
    loss_kind = "regression"
    loss_help = "Use loss=l1 or loss=mse."

    # --- what a task defines -------------------------------------------------------------
    @abstractmethod
    def prepare_batch(self, batch: Batch, stage: str) -> Sample:
        """Turn a raw loader batch (already on the device) into network inputs and targets."""

    @abstractmethod
    def make_metrics(self) -> dict[str, Metric]:
        """Fresh metric objects for one evaluation stage, keyed by the name they log under."""

    @abstractmethod
    def update_metrics(self, metrics: nn.ModuleDict, sample: Sample, pred: torch.Tensor) -> None:
        """Update ``metrics`` (from :meth:`make_metrics`) with one batch."""

    @abstractmethod
    def preview_panels(self, sample: Sample, pred: torch.Tensor) -> list[torch.Tensor]:
        """Images to show side by side, each (B, 3, H, W) RGB in [0, 1]."""

    # --- shared loop ---------------------------------------------------------------------
    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        return self.net(inputs.contiguous(memory_format=self.memory_format))

    def predict_images(self, inputs: torch.Tensor) -> torch.Tensor:
        """The prediction used for validation, test and previews (a task that works on whole
        images of any size overrides this with tiled inference)."""
        return self(inputs)

    def compute_loss(
        self, pred: torch.Tensor | Sequence[torch.Tensor], target: torch.Tensor
    ) -> torch.Tensor:
        """The loss; a deeply supervised net returns one output per head: their losses averaged."""
        if isinstance(pred, torch.Tensor):
            return self.loss(pred, target)
        return torch.stack([self.loss(head, target) for head in pred]).mean()

    def _optimizer_list(self) -> list[Any]:
        """Lightning's optimizer wrappers (one per network: two in adversarial training)."""
        optimizers = self.optimizers()
        return list(optimizers) if isinstance(optimizers, list) else [optimizers]

    def training_step(self, batch: Batch, batch_idx: int) -> torch.Tensor:
        optimizers = self._optimizer_list()
        batch_size = _batch_length(batch)

        def drop_gradients() -> None:
            for optimizer in optimizers:
                optimizer.zero_grad(set_to_none=True)
            if self._batches_in_cycle:
                log.warning("Dropped the gradients of %d earlier batches of this accumulation "
                            "cycle.", self._batches_in_cycle)  # fmt: skip
            self._batches_in_cycle = 0

        loss = self.memory.run(
            batch_size, lambda micro: self._backward_in_chunks(batch, micro), drop_gradients
        )
        self.log("train/loss", loss, on_step=True, on_epoch=True, prog_bar=True,
                 batch_size=batch_size)  # fmt: skip
        self.log("train/micro_batch", float(self.memory.micro_batch or batch_size),
                 on_step=True, on_epoch=False, batch_size=batch_size)  # fmt: skip

        verdict = "ok" if self.loss_guard is None else self.loss_guard.check(loss.item())
        if verdict != "ok":
            self._handle_bad_loss(verdict, drop_gradients)
            return loss
        self._batches_in_cycle += 1
        if self._batches_in_cycle >= self.hparams.accumulate_grad_batches or (
            self.trainer.is_last_batch
        ):
            self._step(optimizers)
            self._batches_in_cycle = 0
        return loss

    def _step(self, optimizers: list[Any]) -> None:
        """Step every optimizer, then clear the gradients.

        The first (the network's) steps through Lightning's wrapper, which counts a global
        step. Further ones (a discriminator's) step through the same precision plugin (AMP loss
        scaling, the clipping hook) without counting: Lightning counts every wrapper ``step()``
        in manual optimisation, which would double ``global_step`` (and halve ``max_steps``,
        step checkpoints and logging intervals) in adversarial training.
        """
        first, *others = optimizers
        first.step()
        for wrapper in others:
            self.trainer.strategy.optimizer_step(wrapper.optimizer, lambda: None, model=self)
        for optimizer in optimizers:
            optimizer.zero_grad(set_to_none=True)

    def _backward_in_chunks(self, batch: Batch, micro_batch: int) -> torch.Tensor:
        """Forward + backward the batch in chunks of ``micro_batch``; returns the batch loss."""
        batch_size = _batch_length(batch)
        total = torch.zeros((), device=self.device)
        for start in range(0, batch_size, micro_batch):
            chunk = {key: value[start : start + micro_batch] for key, value in batch.items()}
            chunk_size = _batch_length(chunk)
            share = chunk_size / batch_size
            if self.simulate_oom_above is not None and chunk_size > self.simulate_oom_above:
                raise torch.cuda.OutOfMemoryError("simulated out of memory (test hook)")
            sample = self.prepare_batch(chunk, "train")
            weight = share / self.hparams.accumulate_grad_batches
            total = total + self.backward_losses(sample, weight).float() * share
        return total

    def backward_losses(self, sample: Sample, weight: float) -> torch.Tensor:
        """Forward ``sample``, backpropagate its loss times ``weight``; return the loss
        (detached). Adversarial training overrides this to add its discriminator's terms."""
        loss = self.compute_loss(self(sample.inputs), sample.target)
        self.backward_outside_autocast(loss * weight)
        return loss.detach()

    def backward_outside_autocast(self, loss: torch.Tensor) -> None:
        """Backward outside autocast (Lightning runs the whole training step inside it), as the
        AMP recipe says: autocast would re-cast inside the gradient ops (bf16 on CPU: 13 %
        slower steps, measured with python -m colorization.bench).

        No finiteness check here: it would wait for the device every chunk. A NaN loss gives
        NaN gradients, which the loss guard (one sync per step) drops unused."""
        with torch.autocast(self.device.type, enabled=False):
            self.manual_backward(loss)

    def _handle_bad_loss(self, verdict: str, drop_gradients: Callable[[], None]) -> None:
        guard = self.loss_guard
        drop_gradients()
        self.log("train/skipped_steps", float(guard.skipped), on_step=True, on_epoch=False)
        log.warning("Skipped an optimizer step at global step %d: %s (%d skipped so far).",
                    self.global_step, guard.last_reason, guard.skipped)  # fmt: skip
        if verdict != "recover":
            return
        if guard.on_persistent == "stop":
            raise RuntimeError(
                f"Training stopped: {guard.max_consecutive} bad losses in a row "
                f"({guard.last_reason}). {PERSISTENT_LOSS_HELP}"
            )
        self.reload_last_good_checkpoint(guard.lr_factor)

    def reload_last_good_checkpoint(self, lr_factor: float) -> None:
        """Restore weights and optimizer state from the newest checkpoint of this run and scale
        the learning rate by ``lr_factor``; stop with a clear message if there is none."""
        from colorization.resume import latest_checkpoint

        folders = {c.dirpath for c in self.trainer.checkpoint_callbacks if c.dirpath}
        found = [latest_checkpoint(folder) for folder in folders]
        found = [(path, state) for path, state in found if path is not None]
        if not found:
            raise RuntimeError(
                "Training stopped: the loss stayed bad and no checkpoint exists yet to go back "
                f"to. {PERSISTENT_LOSS_HELP}"
            )
        path, state = max(found, key=lambda item: item[1]["global_step"])
        self.load_state_dict(state["state_dict"])
        # .optimizer: the torch optimizer inside Lightning's wrapper.
        optimizers = [wrapper.optimizer for wrapper in self._optimizer_list()]
        for optimizer, optimizer_state in zip(optimizers, state["optimizer_states"], strict=True):
            optimizer.load_state_dict(optimizer_state)
            for group in optimizer.param_groups:
                group["lr"] *= lr_factor
        optimizer = optimizers[0]
        for scheduler in self._schedulers():
            if hasattr(scheduler, "base_lrs"):
                scheduler.base_lrs = [lr * lr_factor for lr in scheduler.base_lrs]
        log.warning("Reloaded %s after persistent bad losses; learning rate x%g, now %g.",
                    path, lr_factor, optimizer.param_groups[0]["lr"])  # fmt: skip

    def on_before_optimizer_step(self, optimizer: torch.optim.Optimizer) -> None:
        """Clip here: under AMP the gradients are already unscaled at this point. Each optimizer
        clips its own parameters (adversarial training steps two)."""
        if self.hparams.gradient_clip_val is not None:
            clip_gradients_(
                [p for group in optimizer.param_groups for p in group["params"]],
                self.hparams.gradient_clip_algorithm,
                self.hparams.gradient_clip_val,
            )

    def _schedulers(self) -> list[Any]:
        schedulers = self.lr_schedulers()
        if schedulers is None:
            return []
        return list(schedulers) if isinstance(schedulers, list) else [schedulers]

    def on_train_epoch_end(self) -> None:
        for scheduler in self._schedulers():
            if isinstance(scheduler, torch.optim.lr_scheduler.ReduceLROnPlateau):
                value = self.trainer.callback_metrics.get(self.hparams.monitor)
                if value is not None:
                    scheduler.step(value)
            else:
                scheduler.step()

    def validation_step(self, batch: Batch, batch_idx: int) -> None:
        self._evaluate(batch, "val")

    def test_step(self, batch: Batch, batch_idx: int) -> None:
        self._evaluate(batch, "test")

    def _evaluate(self, batch: Batch, stage: str) -> None:
        sample = self.prepare_batch(batch, stage)
        pred = self.predict_images(sample.inputs)
        batch_size = len(sample.inputs)
        self.log(f"{stage}/loss", self.compute_loss(pred, sample.target), batch_size=batch_size)
        metrics = self.metrics[stage]
        # Metrics in float32: under autocast, SSIM's filtering would run in half precision,
        # where its variance terms cancel (measured SSIM 0.09 for a pair at 0.95 in bf16).
        with torch.autocast(self.device.type, enabled=False):
            self.update_metrics(metrics, sample, pred)
        for name, metric in metrics.items():
            if name in self.epoch_end_metrics:
                continue
            self.log(f"{stage}/{name}", metric, batch_size=batch_size,
                     prog_bar=f"{stage}/{name}" == self.hparams.monitor)  # fmt: skip

    # Metrics returning a dict of values (e.g. one per class, keys like ``dice_cat``): not
    # logged per batch by ``_evaluate``; ``log_epoch_end_metrics`` logs each value under
    # ``<stage>/<key>`` at the end of the epoch.
    epoch_end_metrics: tuple[str, ...] = ()

    def log_epoch_end_metrics(self, stage: str) -> None:
        for name in self.epoch_end_metrics:
            metric = self.metrics[stage][name]
            if not metric.update_called:
                continue
            values = metric.compute()
            self.log_dict({f"{stage}/{key}": value for key, value in values.items()})
            metric.reset()

    def on_validation_epoch_end(self) -> None:
        self.log_epoch_end_metrics("val")

    def on_test_epoch_end(self) -> None:
        self.log_epoch_end_metrics("test")

    @torch.no_grad()
    def preview(self, batch: Batch) -> list[torch.Tensor]:
        """Preview panels for a validation batch (deterministic, so comparable across epochs)."""
        sample = self.prepare_batch(batch, "val")
        pred = self.predict_images(sample.inputs)
        return [p.float().clamp(0, 1) for p in self.preview_panels(sample, pred)]

    def configure_optimizers(self) -> Any:
        optimizer = self.optimizer_factory(params=self.parameters())
        if self.scheduler_factory is None:
            return optimizer
        # Stepped once per epoch by on_train_epoch_end (manual optimisation).
        return {"optimizer": optimizer, "lr_scheduler": self.scheduler_factory(optimizer=optimizer)}

    # --- state that Lightning does not checkpoint by itself ------------------------------
    def on_save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        numpy_state = np.random.get_state()
        checkpoint["rng_states"] = {
            "torch": torch.get_rng_state(),
            "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
            "python": list(random.getstate()[1]),
            "numpy": {"keys": torch.from_numpy(numpy_state[1].astype(np.int64)),
                      "pos": int(numpy_state[2])},
        }  # fmt: skip
        checkpoint["oom_micro_batch"] = self.memory.micro_batch
        if self.loss_guard is not None:
            checkpoint["loss_guard"] = self.loss_guard.state_dict()

    def on_load_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        states = checkpoint.get("rng_states")
        if states:
            torch.set_rng_state(states["torch"])
            if states["cuda"] and torch.cuda.is_available():
                torch.cuda.set_rng_state_all(states["cuda"])
            random.setstate((3, tuple(states["python"]), None))
            keys = states["numpy"]["keys"].numpy().astype(np.uint32)
            np.random.set_state(("MT19937", keys, states["numpy"]["pos"]))
        self.memory.micro_batch = checkpoint.get("oom_micro_batch")
        if self.loss_guard is not None and "loss_guard" in checkpoint:
            self.loss_guard.load_state_dict(checkpoint["loss_guard"])
