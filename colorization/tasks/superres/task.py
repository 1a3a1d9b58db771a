"""Super-resolution: a low-resolution RGB image -> the image at ``scale`` times its size.

The low-resolution input is made on the batch from the high-resolution crop (MATLAB's bicubic
``imresize`` by default, or torch's; 8-bit: :mod:`colorization.data.superres.degradation`), or
comes with it from
paired folders (``data=div2k``). A model that up-samples
itself (one whose constructor takes ``scale``, such as RDN) gets the LR image and the scale (with
``residual``, the default, its output is added to the bicubic up-sampling); any other zoo model
gets the bicubic up-sampled image and predicts the correction added to it ("pre-up-sampling", as
SRCNN/VDSR do), so every UNet can be compared with RDN on the same data.

Metrics as the literature reports them: PSNR and SSIM on the Y channel (BT.601) with ``scale``
pixels shaved from each border (``val/psnr``, ``val/ssim``), RGB PSNR (``val/psnr_rgb``), and
the bicubic up-sampling scored the same way (``val/psnr_bicubic``, ``val/ssim_bicubic``): the
baseline a model must beat. Whole images go through overlapping LR tiles whose outputs are
``scale`` times larger (:func:`~colorization.inference.tiling.tiled_apply`).
"""

from __future__ import annotations

import functools
import inspect
from typing import Any

import torch
from torch import nn
from torchmetrics import Metric
from torchmetrics.image import StructuralSimilarityIndexMeasure

from colorization.data.superres.degradation import (
    DEGRADATIONS,
    Degradation,
    bicubic_downsample,
    bicubic_upsample,
    crop_to_multiple,
    rgb_to_y,
    shave,
)
from colorization.inference.network import TaskNetwork
from colorization.inference.tiling import check_tiles, tiled_apply
from colorization.metrics import ImagePSNR, image_psnr_ssim
from colorization.tasks.base import ImageToImageTask, NetworkFactory, PreparedBatch, each_head

SCALES = (2, 3, 4)


def upsamples_itself(net: nn.Module | NetworkFactory) -> bool:
    """Whether the network takes the scale (a constructor argument or attribute ``scale``)."""
    if isinstance(net, nn.Module):
        return hasattr(net, "scale")
    target = net.func if isinstance(net, functools.partial) else net
    try:
        return "scale" in inspect.signature(target).parameters
    except (TypeError, ValueError):  # a callable inspect cannot read
        return False


class UpsamplingNetwork(TaskNetwork):
    """The bicubic up-sampling of the input (``scale`` times) plus the network's correction;
    the network sees the up-sampled image (``refine_upsampled``: a model that does not
    up-sample itself) or the input itself."""

    def __init__(self, net: nn.Module, scale: int, refine_upsampled: bool) -> None:
        super().__init__(net)
        self.scale = scale
        self.refine_upsampled = refine_upsampled

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        upsampled = bicubic_upsample(inputs, self.scale)
        return upsampled + self.net(upsampled if self.refine_upsampled else inputs)


class SuperResTask(ImageToImageTask):
    """Args:
    scale: 2, 3 or 4; high-resolution crops are cut to multiples of it.
    residual: a model that up-samples itself predicts the correction added to the bicubic
        up-sampling (it starts at the bicubic baseline and learns the detail); ``false``: it
        predicts the image itself, as the RDN paper does. Other models always refine the
        bicubic image.
    degradation: how LR inputs are made from HR crops: ``matlab`` (MATLAB's ``imresize``, as
        DIV2K's and the benchmarks' LR images were) or ``torch`` (its antialiased bicubic; what
        runs from before 1.4 used, whose configs do not name one: see colorization.compat).
    tile_size / tile_overlap: LR tiles for whole-image inference (validation, test, predict);
        the overlap should cover the network's receptive field (about 25 LR pixels for the
        light RDN) so that tiles meet without seams.
    ``args`` and ``base`` (network, loss, optimizer, ...): see :class:`ImageToImageTask`.
    """

    preview_titles = ("bicubic", "prediction", "high resolution")
    rgb_input_range = (0.0, 1.0)

    def __init__(
        self,
        net: nn.Module | NetworkFactory,
        *args: Any,
        scale: int,
        residual: bool,
        degradation: Degradation,
        tile_size: int,
        tile_overlap: int,
        **base: Any,
    ) -> None:
        if scale not in SCALES:
            raise ValueError(f"task.scale must be 2, 3 or 4, got {scale}.")
        if degradation not in DEGRADATIONS:
            raise ValueError(
                f"task.degradation must be {' or '.join(DEGRADATIONS)}, got {degradation!r}."
            )
        check_tiles(tile_size, tile_overlap, "task.")
        self_upsampling = upsamples_itself(net)
        if self_upsampling and isinstance(net, nn.Module) and net.scale != scale:
            raise ValueError(f"The network up-samples {net.scale}x, the task needs {scale}x.")
        if self_upsampling and not isinstance(net, nn.Module):
            net = functools.partial(net, scale=scale)
        super().__init__(net, *args, **base)
        self.upsamples_itself = self_upsampling

    # --- network -------------------------------------------------------------------------
    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        """The LR image (B, 3, h, w) -> the super-resolved one (B, 3, sh, sw)."""
        if self.upsamples_itself and not self.hparams.residual:
            return super().forward(inputs)
        upsampled = bicubic_upsample(inputs, self.hparams.scale)
        output = super().forward(inputs if self.upsamples_itself else upsampled)
        return each_head(output, lambda head: upsampled + head)

    def inference_network(self) -> TaskNetwork:
        if self.upsamples_itself and not self.hparams.residual:
            return TaskNetwork(self.net)
        return UpsamplingNetwork(
            self.net, self.hparams.scale, refine_upsampled=not self.upsamples_itself
        )

    def predict_images(self, inputs: torch.Tensor) -> torch.Tensor:
        """Whole images of any size, in overlapping LR tiles blended at the HR resolution."""
        hparams = self.hparams
        return tiled_apply(
            self, inputs, hparams.tile_size, hparams.tile_overlap, scale=hparams.scale
        )

    # --- data and metrics ----------------------------------------------------------------
    def prepare_batch(self, batch: dict[str, torch.Tensor], stage: str) -> PreparedBatch:
        scale = self.hparams.scale
        high = crop_to_multiple(batch["image"].float() / 255, scale)
        if "low" in batch:  # paired data (DIV2K): the LR images given
            low = batch["low"].float() / 255
            high = high[..., : low.shape[-2] * scale, : low.shape[-1] * scale]
        else:
            low = bicubic_downsample(high, scale, self.hparams.degradation)
        extras = {"bicubic": bicubic_upsample(low, scale)}
        return PreparedBatch(inputs=low, target=high, extras=extras)

    def make_metrics(self) -> dict[str, Metric]:
        metrics: dict[str, Metric] = {"psnr_rgb": ImagePSNR()}
        for name in ("", "_bicubic"):
            metrics[f"psnr{name}"] = ImagePSNR()
            metrics[f"ssim{name}"] = StructuralSimilarityIndexMeasure(data_range=1.0)
        return metrics

    def update_metrics(
        self, metrics: nn.ModuleDict, prepared: PreparedBatch, pred: torch.Tensor
    ) -> None:
        border = self.hparams.scale
        target = prepared.target
        truth_y = shave(rgb_to_y(target), border)
        predictions = {"": pred.float().clamp(0, 1), "_bicubic": prepared.extras["bicubic"]}
        for name, image in predictions.items():
            image_y = shave(rgb_to_y(image), border)
            metrics[f"psnr{name}"].update(image_y, truth_y)
            metrics[f"ssim{name}"].update(image_y, truth_y)
        metrics["psnr_rgb"].update(shave(predictions[""], border), shave(target, border))

    def image_scores(self, prepared: PreparedBatch, pred: torch.Tensor) -> dict[str, torch.Tensor]:
        """PSNR and SSIM on the luma channel, ``scale`` border pixels shaved (as logged)."""
        border = self.hparams.scale
        predicted = shave(rgb_to_y(pred.float().clamp(0, 1)), border)
        return image_psnr_ssim(predicted, shave(rgb_to_y(prepared.target), border))

    def preview_panels(self, prepared: PreparedBatch, pred: torch.Tensor) -> list[torch.Tensor]:
        """bicubic up-sampling | prediction | high-resolution truth."""
        return [prepared.extras["bicubic"], pred, prepared.target]
