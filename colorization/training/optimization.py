"""The training step, under Lightning's manual optimisation.

Why manual: out-of-memory recovery retries the *same* batch split into micro-batches whose
gradients add up to the whole batch's (:mod:`.oom`). Lightning's automatic loop runs forward and
backward in one closure it owns, so a step that fails half-way cannot be re-split there. Manual
optimisation hands the step to the module, which then has to carry out itself what the Trainer
would otherwise do. :class:`ManualOptimization` re-implements exactly these Trainer features:

- ``accumulate_grad_batches`` (here ``optimization.accumulate_grad_batches``): gradients of
  several batches add up to one optimizer step; the last batch of an epoch closes a cycle early.
- gradient clipping (``optimization.gradient_clip_val`` / ``gradient_clip_algorithm``), by
  norm, by value, or adaptive (AGC, which Lightning lacks), applied per optimizer after AMP
  unscaling;
- learning-rate scheduling: every scheduler steps once per epoch, reduce-on-plateau on the
  task's monitored metric;
- stepping a second optimizer (a pix2pix discriminator) without counting a second global step;
- under DDP, averaging the gradients over the ranks, once per optimizer step rather than inside
  each backward pass, so that one rank re-splitting a batch cannot desynchronise the others
  (:mod:`.distributed`).

On top it adds what the Trainer has no notion of: a loss guard (:mod:`.guard`) whose verdicts
are reached and carried out on the device (:mod:`.verdicts`, :mod:`.veto`: a flagged step changes
nothing) and read on the host only at logging steps, where a persistent problem then reloads the
last checkpoint or stops; and backward passes outside autocast. Outside logging steps, a training
step reads nothing on the host (``tests/unit/training/test_host_sync.py`` pins it), so a GPU never
waits for the Python side between steps.
"""

from __future__ import annotations

import logging
import warnings
from abc import ABC, abstractmethod
from typing import Any

import pytorch_lightning as pl
import torch

from colorization.hardware import keeps_gradients_until_backward
from colorization.lightning_compat import (
    last_batch_of_epoch,
    logs_this_step,
    loss_scaler,
    step_without_counting,
)
from colorization.training.distributed import (
    average_gradients,
    broadcast_buffers,
    disable_reducer,
    gather_losses,
    smallest_over_ranks,
    world_size,
)
from colorization.training.guard import PERSISTENT_LOSS_HELP, GuardAction, LossGuard
from colorization.training.loss_window import LossWindow
from colorization.training.oom import OutOfMemoryRecovery
from colorization.training.parameter_groups import build_optimizer
from colorization.training.recovery import reload_last_good_checkpoint
from colorization.training.step_settings import OptimizerFactory, SchedulerFactory, StepSettings
from colorization.training.verdicts import DeviceVerdicts
from colorization.training.veto import (
    clear_veto,
    parameters_of,
    veto_if_flagged,
)

log = logging.getLogger(__name__)

Batch = dict[str, torch.Tensor]


def batch_length(batch: Batch) -> int:
    """Number of samples in a batch dict (every entry shares the first dimension)."""
    return len(next(iter(batch.values())))


class ManualOptimization(pl.LightningModule, ABC):
    """The protected training step, joined to the task by this interface: the task passes its
    :class:`StepSettings`, out-of-memory recovery, loss guard (or None) and optimizer and
    scheduler factories to ``__init__``, and implements :meth:`prepare_batch` and
    :meth:`backward_losses`; the optimizer is built over :meth:`optimized_network`'s
    parameter groups.
    """

    def __init__(
        self,
        step: StepSettings,
        memory: OutOfMemoryRecovery,
        loss_guard: LossGuard | None,
        optimizer_factory: OptimizerFactory,
        scheduler_factory: SchedulerFactory | None = None,
    ) -> None:
        super().__init__()
        self.automatic_optimization = False
        self.step_settings = step
        self.memory = memory
        self.loss_guard = loss_guard
        self.optimizer_factory = optimizer_factory
        self.scheduler_factory = scheduler_factory

    @abstractmethod
    def prepare_batch(self, batch: Batch, stage: str) -> Any:
        """A raw batch (on the device) as the network's inputs and targets."""

    @abstractmethod
    def backward_losses(self, prepared: Any, weight: float) -> torch.Tensor:
        """Forward ``prepared``, backpropagate its loss times ``weight`` (through
        :meth:`backward_outside_autocast`); return the loss, detached."""

    def optimized_network(self) -> torch.nn.Module | None:
        """The network whose ``parameter_groups()`` the optimizer follows (None: one group)."""
        return None

    # Test hook: micro-batches larger than this raise a (simulated) CUDA out-of-memory error,
    # so the recovery path runs on CPU exactly as it does on a GPU.
    simulate_oom_above: int | None = None
    _batches_in_cycle: int = 0
    _flagged_in_cycle: torch.Tensor | None = None
    _verdicts: DeviceVerdicts | None = None
    # A reload/stop found while a checkpoint was written, carried out at the next step.
    _deferred_action: GuardAction = "ok"
    # The last step's gradients are still held (on CPU, until the next backward pass).
    _stale_gradients: bool = False
    _loss_window: LossWindow | None = None  # the training loss since the last logging step

    def in_accumulation_cycle(self) -> bool:
        """Whether gradients of batches not yet stepped are held (a stop waits for the step)."""
        return self._batches_in_cycle > 0

    def optimizer_wrappers(self) -> list[Any]:
        """Lightning's optimizer wrappers (one per network: two in adversarial training)."""
        optimizers = self.optimizers()
        return list(optimizers) if isinstance(optimizers, list) else [optimizers]

    def scheduler_list(self) -> list[Any]:
        schedulers = self.lr_schedulers()
        if schedulers is None:
            return []
        return list(schedulers) if isinstance(schedulers, list) else [schedulers]

    def configure_optimizers(self) -> Any:
        optimizer = build_optimizer(self.optimizer_factory, self, self.optimized_network())
        if self.scheduler_factory is None:
            return optimizer
        # Stepped once per epoch by on_train_epoch_end.
        return {"optimizer": optimizer, "lr_scheduler": self.scheduler_factory(optimizer=optimizer)}

    def training_step(self, batch: Batch, batch_idx: int) -> torch.Tensor:
        if self._deferred_action != "ok":
            self._act_on_persistent_losses(self._deferred_action)
        # Under DDP, gradients are averaged once per optimizer step, not in each backward pass
        # (.distributed). Lightning re-enables DDP's reducer after every training step.
        disable_reducer(self.trainer.model)
        optimizers = self.optimizer_wrappers()
        batch_size = batch_length(batch)

        def drop_gradients() -> None:
            self.free_gradients()
            if self._batches_in_cycle:
                log.warning(
                    "Dropped the gradients of %d earlier batches of this accumulation cycle.",
                    self._batches_in_cycle,
                )
            self._batches_in_cycle = 0
            self._flagged_in_cycle = None

        loss = self.memory.run(
            batch_size, lambda micro: self._backward_in_chunks(batch, micro), drop_gradients
        )
        # Nothing here reads a device value on the host except at Lightning's logging steps:
        # the loss stays a device tensor (the loggers read it when they write), the guard's
        # verdict is reached and acted on on the device (see .verdicts).
        logging_step = logs_this_step(self.trainer)
        losses = gather_losses(loss)  # every rank's (one collective under DDP, no host read)
        self._loss_window = self._loss_window or LossWindow()  # a resumed epoch has none yet
        self._loss_window.add(losses.mean(), batch_size)
        if self.verdicts is not None:
            flagged = self.verdicts.judge(losses, self.global_step)
            earlier = self._flagged_in_cycle
            self._flagged_in_cycle = flagged if earlier is None else earlier | flagged
        self._batches_in_cycle += 1
        cycle_done = self._batches_in_cycle >= self.step_settings.accumulate_grad_batches
        if cycle_done or last_batch_of_epoch(self.trainer):
            self._step(optimizers, self._flagged_in_cycle)
            self._batches_in_cycle = 0
            self._flagged_in_cycle = None
        if logging_step or last_batch_of_epoch(self.trainer):
            loss_mean, samples = self._loss_window.take()
            self.log("train/loss", loss_mean, on_step=True, on_epoch=True, batch_size=samples)
        if logging_step:
            self._agree_on_micro_batch(batch_size)
            micro_batch = float(self.memory.micro_batch or batch_size)
            self.log("train/micro_batch", micro_batch, on_step=True, on_epoch=False)
        if self.verdicts is not None and (logging_step or self.verdicts.due):
            self._act_on_persistent_losses(self.read_verdicts())
            skipped = float(self.loss_guard.skipped)
            self.log("train/skipped_steps", skipped, on_step=True, on_epoch=False)
        return loss

    def _agree_on_micro_batch(self, batch_size: int) -> None:
        """Under DDP, every rank adopts the smallest micro-batch any rank has settled on (each
        re-splits on its own when it runs out of memory; see .distributed for why that never
        desynchronises the ranks): steps then take about as long on every rank."""
        if world_size() > 1:
            smallest = smallest_over_ranks(self.memory.micro_batch or batch_size)
            self.memory.micro_batch = smallest if smallest < batch_size else None

    @property
    def verdicts(self) -> DeviceVerdicts | None:
        """The loss guard's device-side verdicts (None without a guard)."""
        if self.loss_guard is None:
            return None
        if self._verdicts is None or self._verdicts.guard is not self.loss_guard:
            self._verdicts = DeviceVerdicts(self.loss_guard)
        return self._verdicts

    def read_verdicts(self) -> GuardAction:
        """Book the pending verdicts in the loss guard (one device-to-host read); warn about
        each flagged step; return the action a persistent problem calls for."""
        if self.verdicts is None:
            return "ok"
        return self.verdicts.read_and_warn()

    def _step(self, optimizers: list[Any], flagged: torch.Tensor | None) -> None:
        """Step every optimizer, then clear the gradients; a ``flagged`` step changes nothing
        (vetoed on the device, see .veto). The first optimizer (the network's) steps through
        Lightning's wrapper, which counts a global step, vetoed or not; further ones do not
        count."""
        average_gradients(p for wrapper in optimizers for p in parameters_of(wrapper.optimizer))
        if flagged is not None:
            scaling = loss_scaler(self.trainer) is not None
            for wrapper in optimizers:
                veto_if_flagged(wrapper.optimizer, flagged, loss_scaling=scaling)
        first, *others = optimizers
        first.step()
        for wrapper in others:
            step_without_counting(self.trainer, wrapper.optimizer, self)
        for optimizer in optimizers:
            clear_veto(optimizer.optimizer)
        self._stale_gradients = True
        if not keeps_gradients_until_backward(self.device):
            self.free_gradients()
        broadcast_buffers(self)

    def free_gradients(self) -> None:
        """Set every gradient to None (when: :func:`keeps_gradients_until_backward`)."""
        for optimizer in self.optimizer_wrappers():
            optimizer.zero_grad(set_to_none=True)
        self._stale_gradients = False

    def _backward_in_chunks(self, batch: Batch, micro_batch: int) -> torch.Tensor:
        """Forward + backward the batch in chunks of ``micro_batch``; returns the batch loss."""
        batch_size = batch_length(batch)
        total = torch.zeros((), device=self.device)
        for start in range(0, batch_size, micro_batch):
            chunk = {key: value[start : start + micro_batch] for key, value in batch.items()}
            chunk_size = batch_length(chunk)
            share = chunk_size / batch_size
            if self.simulate_oom_above is not None and chunk_size > self.simulate_oom_above:
                raise torch.cuda.OutOfMemoryError("simulated out of memory (test hook)")
            prepared = self.prepare_batch(chunk, "train")
            weight = share / self.step_settings.accumulate_grad_batches
            total = total + self.backward_losses(prepared, weight).float() * share
        return total

    def backward_outside_autocast(self, loss: torch.Tensor) -> None:
        """Backward outside autocast (Lightning runs the whole training step inside it), as the
        PyTorch AMP recipe says: autocast would re-cast inside the gradient ops (slower steps,
        see docs/benchmark.md).

        No finiteness check here: it would wait for the device every chunk. A NaN loss gives
        NaN gradients, whose step the loss guard vetoes on the device."""
        if self._stale_gradients:
            self.free_gradients()
        with torch.autocast(self.device.type, enabled=False):
            self.manual_backward(loss)

    def _act_on_persistent_losses(self, action: GuardAction) -> None:
        """Carry out what a streak of bad losses called for: go back to the last checkpoint
        with a lower learning rate, or stop with the likely causes."""
        self._deferred_action = "ok"
        if action not in ("reload", "stop"):
            return
        guard = self.loss_guard
        if action == "stop":
            raise RuntimeError(
                f"Training stopped: {guard.max_consecutive} bad losses in a row "
                f"({guard.last_reason}). {PERSISTENT_LOSS_HELP}"
            )
        reload_last_good_checkpoint(self, guard.lr_factor)
        self.verdicts.discard()
        self.free_gradients()
        self._batches_in_cycle = 0
        self._flagged_in_cycle = None

    def on_train_epoch_start(self) -> None:
        self._loss_window = LossWindow()

    def on_train_start(self) -> None:
        # train/loss is logged as the mean over the ranks already (gather_losses): Lightning's
        # advice to add sync_dist (one more collective per step) does not apply.
        warnings.filterwarnings("ignore", message=r".*self\.log\('train/loss'.*sync_dist=True")

    def on_before_optimizer_step(self, optimizer: torch.optim.Optimizer) -> None:
        """Clip here: under AMP the gradients are already unscaled at this point. Each optimizer
        clips its own parameters (adversarial training steps two)."""
        self.step_settings.clip(optimizer, loss_scaler(self.trainer))

    def on_train_end(self) -> None:
        self.free_gradients()  # a trained network holds no gradients, on every device

    def on_train_epoch_end(self) -> None:
        self._act_on_persistent_losses(self.read_verdicts())
        for scheduler in self.scheduler_list():
            if isinstance(scheduler, torch.optim.lr_scheduler.ReduceLROnPlateau):
                value = self.trainer.callback_metrics.get(self.step_settings.monitor)
                if value is not None:
                    scheduler.step(value)
            else:
                scheduler.step()
