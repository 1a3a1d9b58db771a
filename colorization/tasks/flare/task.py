"""Flare removal: flared RGB photo (3 channels) -> clean RGB photo (3 channels).

Images enter the network as RGB in [0, 1], not normalised (Flare7K's advice: the network must
see how bright the light really is). With ``residual=True`` (default) the network predicts the
correction added to its input, so training starts near the "do nothing" baseline (only the
random initial output stands between) instead of having to learn to copy the photo first.
Validation, test and previews run whole images of any size through overlapping tiles blended
together (:mod:`colorization.inference.tiling`). Metrics: PSNR and SSIM on RGB, and the same
for the flared input itself (``*_input``: the do-nothing baseline the model has to beat).

``adversarial=True`` trains pix2pix-style: the PatchGAN discriminator judges (flared, output)
pairs and the generator's loss is ``GAN + lambda_reconstruction * loss``. Both networks take
their step at the end of each accumulation cycle from gradients of the same batches (the
generator's GAN term sees the discriminator before its step; pix2pix steps D first). Checkpoints
hold both networks and both optimizers.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import nn
from torchmetrics import Metric
from torchmetrics.image import StructuralSimilarityIndexMeasure

from colorization.inference.network import TaskNetwork
from colorization.inference.tiling import check_tiles, tiled_apply
from colorization.metrics import ImagePSNR, image_psnr_ssim
from colorization.tasks.adversarial import ConditionalGAN
from colorization.tasks.base import (
    ImageToImageTask,
    OptimizerFactory,
    PreparedBatch,
    each_head,
)
from colorization.training.parameter_groups import build_optimizer


class ResidualNetwork(TaskNetwork):
    """The network's (decoded) output added to its input: the clean photo from the flared."""

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        return inputs + super().forward(inputs)


class FlareTask(ImageToImageTask):
    """Args:
    residual: the network predicts ``clean - flared`` (added to its input).
    tile_size / tile_overlap: tiles for whole-image inference (validation, test, prediction).
    adversarial: pix2pix training with ``discriminator`` (a partial taking ``in_channels``)
        and ``discriminator_optimizer`` (a partial optimizer).
    lambda_reconstruction: weight of ``loss`` against the GAN term (pix2pix: 100 with L1).
    ``args`` and ``base`` (network, loss, optimizer, ...): see :class:`ImageToImageTask`.
    """

    object_arguments = ("discriminator", "discriminator_optimizer")
    predicts_images = True
    preview_titles = ("flared", "prediction", "clean")
    rgb_input_range = (0.0, 1.0)

    def __init__(
        self,
        *args: Any,
        residual: bool,
        tile_size: int,
        tile_overlap: int,
        adversarial: bool,
        lambda_reconstruction: float,
        in_channels: int,
        out_channels: int,
        discriminator: Callable[..., nn.Module] | None = None,
        discriminator_optimizer: OptimizerFactory | None = None,
        **base: Any,
    ) -> None:
        check_tiles(tile_size, tile_overlap, "task.")
        if adversarial and (discriminator is None or discriminator_optimizer is None):
            raise ValueError(
                "task.adversarial=true needs task.discriminator and "
                "task.discriminator_optimizer (see conf/task/flare.yaml)."
            )
        super().__init__(*args, in_channels=in_channels, out_channels=out_channels, **base)
        self.gan: ConditionalGAN | None = None
        self.discriminator_optimizer = discriminator_optimizer
        if adversarial:
            critic = discriminator(in_channels=in_channels + out_channels)
            if self.memory_format == torch.channels_last:
                critic = critic.to(memory_format=torch.channels_last)
            self.gan = ConditionalGAN(critic)

    # --- network -------------------------------------------------------------------------
    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        output = super().forward(inputs)
        if not self.hparams.residual:
            return output
        return each_head(output, lambda head: inputs + head)

    def inference_network(self) -> TaskNetwork:
        network = ResidualNetwork if self.hparams.residual else TaskNetwork
        return network(self.net, decoder=self.output_decoder)

    def predict_images(self, inputs: torch.Tensor) -> torch.Tensor:
        """Whole images of any size, in overlapping tiles blended together."""
        return tiled_apply(self, inputs, self.hparams.tile_size, self.hparams.tile_overlap)

    def predict_step(self, batch: dict[str, torch.Tensor], batch_idx: int) -> torch.Tensor:
        """Clean uint8 images (B, 3, H, W) from a batch with ``"input"`` (uint8 flared)."""
        restored = self.predict_images(batch["input"].float() / 255)
        return (restored.clamp(0, 1) * 255).round().to(torch.uint8)

    # --- data and metrics ----------------------------------------------------------------
    def prepare_batch(self, batch: dict[str, torch.Tensor], stage: str) -> PreparedBatch:
        return PreparedBatch(
            inputs=batch["input"].float() / 255, target=batch["target"].float() / 255
        )

    def make_metrics(self) -> dict[str, Metric]:
        return {
            "psnr": ImagePSNR(),
            "ssim": StructuralSimilarityIndexMeasure(data_range=1.0),
            "psnr_input": ImagePSNR(),
            "ssim_input": StructuralSimilarityIndexMeasure(data_range=1.0),
        }

    def update_metrics(
        self, metrics: nn.ModuleDict, prepared: PreparedBatch, pred: torch.Tensor
    ) -> None:
        restored = pred.float().clamp(0, 1)
        metrics["psnr"].update(restored, prepared.target)
        metrics["ssim"].update(restored, prepared.target)
        metrics["psnr_input"].update(prepared.inputs, prepared.target)
        metrics["ssim_input"].update(prepared.inputs, prepared.target)

    def image_scores(self, prepared: PreparedBatch, pred: torch.Tensor) -> dict[str, torch.Tensor]:
        return image_psnr_ssim(pred.float().clamp(0, 1), prepared.target)

    def preview_panels(self, prepared: PreparedBatch, pred: torch.Tensor) -> list[torch.Tensor]:
        """flared input | prediction | clean target."""
        return [prepared.inputs, pred, prepared.target]

    # --- adversarial training (pix2pix) --------------------------------------------------
    def backward_losses(self, prepared: PreparedBatch, weight: float) -> torch.Tensor:
        if self.gan is None:
            return super().backward_losses(prepared, weight)
        fake = self(prepared.inputs)
        reconstruction = self.compute_loss(fake, prepared.target)
        output = fake if isinstance(fake, torch.Tensor) else fake[-1]
        adversarial = self.gan.generator_loss(prepared.inputs, output)
        generator = adversarial + self.hparams.lambda_reconstruction * reconstruction
        self.backward_outside_autocast(generator * weight)
        critic = self.gan.discriminator_loss(prepared.inputs, prepared.target, output)
        self.backward_outside_autocast(critic * weight)
        size = len(prepared.inputs)
        terms = {
            "train/loss_reconstruction": reconstruction.detach(),
            "train/loss_gan": adversarial.detach(),
            "train/loss_discriminator": critic.detach(),
        }
        self.log_dict(terms, on_step=False, on_epoch=True, batch_size=size, sync_dist=True)
        # What the loss guard watches: NaN in either network's loss skips both steps.
        return (generator + critic).detach()

    def configure_optimizers(self) -> Any:
        if self.gan is None:
            return super().configure_optimizers()
        generator = build_optimizer(self.optimizer_factory, self.net, self.net)
        critic = self.discriminator_optimizer(params=self.gan.parameters())
        if self.scheduler_factory is None:
            return [generator, critic]
        # The schedule applies to the generator; the discriminator keeps its learning rate.
        return [generator, critic], [self.scheduler_factory(optimizer=generator)]
