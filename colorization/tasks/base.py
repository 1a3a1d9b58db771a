"""The image-to-image LightningModule every task builds on: the task contract, evaluation,
metrics and previews.

A task subclass says how a raw batch becomes network inputs and targets
(:meth:`~ImageToImageTask.prepare_batch`), which metrics it keeps and what its preview grid
shows. The network, the loss and the optimizer come in from the config (the network as a
``_partial_`` that the task completes with its channel counts). The training step itself,
with out-of-memory re-splitting and the loss guard, is
:class:`colorization.training.optimization.ManualOptimization`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import torch
from torch import nn
from torchmetrics import MeanMetric, Metric

from colorization.inference.network import TaskNetwork
from colorization.losses import loss_kind, loss_options
from colorization.seeds import run_seed
from colorization.tasks.image_scores import ImageScoreRecorder
from colorization.tasks.network import NetworkFactory, complete_network
from colorization.training.clipping import ClipAlgorithm
from colorization.training.guard import LossGuard
from colorization.training.oom import OutOfMemoryRecovery
from colorization.training.optimization import Batch, ManualOptimization
from colorization.training.step_seeds import seed_step
from colorization.training.step_settings import OptimizerFactory, SchedulerFactory, StepSettings
from colorization.training.training_state import load_training_state, save_training_state

# A network's output: one tensor, or one per head under deep supervision (nested models).
NetworkOutput = torch.Tensor | list[torch.Tensor]


def each_head(
    output: NetworkOutput, transform: Callable[[torch.Tensor], torch.Tensor]
) -> NetworkOutput:
    """``transform`` applied to the output, or to each head's output under deep supervision."""
    if isinstance(output, torch.Tensor):
        return transform(output)
    return [transform(head) for head in output]


@dataclass
class PreparedBatch:
    """A batch made ready for the network: ``inputs`` -> net -> compare with ``target``."""

    inputs: torch.Tensor
    target: torch.Tensor
    extras: dict[str, torch.Tensor] = field(default_factory=dict)


class ImageToImageTask(ManualOptimization, ABC):
    """Shared task logic. ``net`` is injected (built from ``conf/model``).

    Args:
        net: the network, or a factory (a ``_partial_`` model config) that this task calls with
            ``in_channels`` and ``out_channels``.
        loss: a module ``loss(pred, target) -> scalar``.
        optimizer: a partial optimizer (``_partial_: true`` config), called with the parameters.
        scheduler: a partial LR scheduler called with the optimizer, or ``None``; stepped once
            per epoch (reduce-on-plateau with ``monitor``).
        monitor / monitor_mode: the metric that checkpoints and plateau schedulers follow.
        in_channels / out_channels: what this task feeds and expects.
        accumulate_grad_batches: batches whose gradients add up to one optimizer step.
        gradient_clip_val / gradient_clip_algorithm: clip at this value by ``norm``, ``value``
            or ``agc`` (adaptive, unit-wise); ``None`` disables clipping.
        oom_recovery: re-split a batch that runs out of memory into micro-batches.
        loss_guard: skips steps with NaN/exploding losses (``None`` disables the guard).
        channels_last: keep weights and inputs in channels-last (NHWC) memory format, the
            layout oneDNN (CPU) and cuDNN tensor cores (CUDA AMP) run convolutions fastest in.
        compile: ``torch.compile`` the network (in place, so checkpoint keys do not change).
    """

    # Arguments that are objects, not values: rebuilt from the config, never saved as
    # hyper-parameters (checkpoints then load with torch's safe ``weights_only`` unpickler).
    # A subclass lists its own object arguments in ``object_arguments``.
    base_object_arguments: ClassVar[tuple[str, ...]] = (
        "net",
        "loss",
        "optimizer",
        "scheduler",
        "loss_guard",
    )
    object_arguments: ClassVar[tuple[str, ...]] = ()
    # The kinds of loss this task can train with (a loss's ``kind``; plain tensor losses such
    # as torch's L1Loss are "regression"); the loss options that fit are found from them.
    loss_kinds: ClassVar[tuple[str, ...]] = ("regression",)
    # Metrics returning a dict of values (e.g. one per class, keys like ``dice_cat``): not
    # logged per batch; :meth:`log_epoch_end_metrics` logs each value at the epoch's end.
    epoch_end_metrics: tuple[str, ...] = ()
    # Whether the task turns whole images into images (``python -m colorization.predict``).
    predicts_images: ClassVar[bool] = False
    # Names of the preview panels, in order; "prediction" marks the model's output (the report's
    # side-by-side figure puts one such column per run).
    preview_titles: ClassVar[tuple[str, ...]] = ("input", "prediction", "target")
    # The range the network's inputs are RGB in (None: they are not RGB), for networks that
    # normalise RGB as their pretrained encoder expects (model=smp).
    rgb_input_range: ClassVar[tuple[float, float] | None] = None

    def __init__(
        self,
        net: nn.Module | NetworkFactory,
        loss: nn.Module,
        optimizer: OptimizerFactory,
        scheduler: SchedulerFactory | None = None,
        *,
        in_channels: int,
        out_channels: int,
        monitor: str,
        monitor_mode: str,
        accumulate_grad_batches: int = 1,
        gradient_clip_val: float | None = None,
        gradient_clip_algorithm: ClipAlgorithm = "norm",
        oom_recovery: bool = True,
        loss_guard: LossGuard | None = None,
        channels_last: bool = False,
        compile: bool = False,
    ) -> None:
        super().__init__(
            StepSettings(
                accumulate_grad_batches, gradient_clip_val, gradient_clip_algorithm, monitor
            ),
            memory=OutOfMemoryRecovery(enabled=oom_recovery),
            loss_guard=loss_guard,
            optimizer_factory=optimizer,
            scheduler_factory=scheduler,
        )
        ignored = [*self.base_object_arguments, *self.object_arguments]
        self.save_hyperparameters(logger=False, ignore=ignored)
        if loss_kind(loss) not in self.loss_kinds:
            *others, last = loss_options(self.loss_kinds)
            fitting = f"loss={', '.join(others)} or {last}" if others else f"loss={last}"
            raise ValueError(
                f"The loss {type(loss).__name__} is a {loss_kind(loss)} loss, but "
                f"{type(self).__name__} needs a {' or '.join(self.loss_kinds)} loss. "
                f"Use {fitting}."
            )
        # A loss over classes of the output (ab bins) decides how many channels the network has.
        network_outputs = getattr(loss, "output_channels", out_channels)
        net = complete_network(
            net, in_channels, network_outputs, type(self).__name__, self.rgb_input_range
        )
        self.net = net.to(memory_format=torch.channels_last) if channels_last else net
        if compile:
            self.net.compile()
        self.memory_format = torch.channels_last if channels_last else torch.contiguous_format
        self.loss = loss
        self.metrics = nn.ModuleDict(
            {stage: nn.ModuleDict(self.make_metrics()) for stage in ("val", "test")}
        )
        # The evaluation loss of each stage; a NaN loss must show as NaN, not be left out.
        self.mean_losses = nn.ModuleDict(
            {stage: MeanMetric(nan_strategy="disable") for stage in ("val", "test")}
        )
        # set by evaluate (tasks/image_scores.py) to keep each test image's scores
        self.image_score_recorder: ImageScoreRecorder | None = None

    # --- what a task defines -------------------------------------------------------------
    @abstractmethod
    def prepare_batch(self, batch: Batch, stage: str) -> PreparedBatch:
        """Turn a raw loader batch (already on the device) into network inputs and targets."""

    @abstractmethod
    def make_metrics(self) -> dict[str, Metric]:
        """Fresh metric objects for one evaluation stage, keyed by the name they log under."""

    @abstractmethod
    def update_metrics(
        self, metrics: nn.ModuleDict, prepared: PreparedBatch, pred: torch.Tensor
    ) -> None:
        """Update ``metrics`` (from :meth:`make_metrics`) with one batch."""

    @abstractmethod
    def image_scores(self, prepared: PreparedBatch, pred: torch.Tensor) -> dict[str, torch.Tensor]:
        """Each image's score by the task's main metrics (name -> (B,) tensor; NaN where an
        image has no score, e.g. Dice with no foreground in prediction nor truth): what
        ``evaluate`` writes per image and ``report`` pairs runs on. The names are those of
        :meth:`make_metrics` (``psnr``, ``dice``), so the monitored metric is among them."""

    @abstractmethod
    def preview_panels(self, prepared: PreparedBatch, pred: torch.Tensor) -> list[torch.Tensor]:
        """Images to show side by side, each (B, 3, H, W) RGB in [0, 1]."""

    # --- network and loss ----------------------------------------------------------------
    def optimized_network(self) -> nn.Module:
        return self.net

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        return self.net(inputs.contiguous(memory_format=self.memory_format))

    @property
    def output_decoder(self) -> nn.Module | None:
        """What turns the network's raw output into the task's prediction (bin scores into ab
        for ``loss=ab_classification``), or None when the output is the prediction. Metrics,
        previews, ``predict`` and ``export`` see the decoded prediction; the loss the raw one."""
        return getattr(self.loss, "decoder", None)

    def decoded(self, pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """``pred`` as the task's prediction at ``target``'s size (see :attr:`output_decoder`)."""
        decoder = self.output_decoder
        return pred if decoder is None else decoder(pred, target.shape[-2:])

    def inference_network(self) -> TaskNetwork:
        """The network as ``predict`` runs it and ``export`` writes it: the raw network with
        the output's decoder; a task that adds more around its network overrides this."""
        return TaskNetwork(self.net, decoder=self.output_decoder)

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

    def backward_losses(self, prepared: PreparedBatch, weight: float) -> torch.Tensor:
        """Forward ``prepared``, backpropagate its loss times ``weight``; return the loss
        (detached). Adversarial training overrides this to add its discriminator's terms."""
        loss = self.compute_loss(self(prepared.inputs), prepared.target)
        self.backward_outside_autocast(loss * weight)
        return loss.detach()

    # --- evaluation ----------------------------------------------------------------------
    def validation_step(self, batch: Batch, batch_idx: int) -> None:
        self._evaluate(batch, "val")

    def test_step(self, batch: Batch, batch_idx: int) -> None:
        self._evaluate(batch, "test")

    def _evaluate(self, batch: Batch, stage: str) -> None:
        prepared = self.prepare_batch(batch, stage)
        pred = self.predict_images(prepared.inputs)
        batch_size = len(prepared.inputs)
        # A torchmetrics mean: under DDP it sums over every rank's images exactly (Lightning's
        # sync_dist would average the ranks' means, and rounds their image counts on gloo).
        # One value per image: MeanMetric ignores weights when its NaN check is off.
        loss = self.compute_loss(pred, prepared.target).detach()
        self.mean_losses[stage].update(loss.expand(batch_size))
        self.log(f"{stage}/loss", self.mean_losses[stage], batch_size=batch_size)
        metrics = self.metrics[stage]
        # Metrics in float32: under autocast, SSIM's filtering would run in half precision,
        # where its variance terms cancel.
        with torch.autocast(self.device.type, enabled=False):
            decoded = self.decoded(pred, prepared.target)
            self.update_metrics(metrics, prepared, decoded)
            if stage == "test" and self.image_score_recorder is not None:
                scores = self.image_scores(prepared, decoded)
                self.image_score_recorder.record(batch, prepared.target, scores)
        for name, metric in metrics.items():
            if name in self.epoch_end_metrics:
                continue
            key = f"{stage}/{name}"
            self.log(key, metric, batch_size=batch_size, prog_bar=key == self.hparams.monitor)

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
        prepared = self.prepare_batch(batch, "val")
        pred = self.decoded(self.predict_images(prepared.inputs), prepared.target)
        return [p.float().clamp(0, 1) for p in self.preview_panels(prepared, pred)]

    # --- state that Lightning does not checkpoint by itself ------------------------------
    step_seed: int | None = None  # drawn once a run; a resumed run takes its checkpoint's

    def on_train_batch_start(self, batch: Batch, batch_idx: int) -> None:
        """Every draw of this training step from (seed, epoch, batch, rank) (step_seeds)."""
        if self.step_seed is None:
            self.step_seed = run_seed()
        seed_step(self.step_seed, self.current_epoch, batch_idx)

    def on_save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        # Book the guard's pending verdicts first, so the checkpoint holds its current state;
        # what they call for (reload, stop) happens at the next step, not inside the save.
        action = self.read_verdicts()
        if action != "ok":
            self._deferred_action = action
        save_training_state(checkpoint, self.memory, self.loss_guard)
        checkpoint["step_seed"] = self.step_seed
        checkpoint["deferred_guard_action"] = self._deferred_action

    def on_load_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        load_training_state(checkpoint, self.memory, self.loss_guard)
        self.step_seed = checkpoint.get("step_seed")
        self._deferred_action = checkpoint.get("deferred_guard_action", "ok")
