"""Log a grid of preview panels for fixed validation images every validation epoch."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytorch_lightning as pl
import torch
import torch.nn.functional as F
from pytorch_lightning.loggers import TensorBoardLogger
from torchvision.utils import make_grid, save_image


class ImagePreviewLogger(pl.Callback):
    """Every ``every_n_epochs`` validation epochs, render the task's preview panels.

    The images are the first ``num_images`` of the validation set, gathered over as many
    batches as needed (whole-image validation, as in flare removal, has one image per batch):
    the validation loader is not shuffled and validation hints/flares are seeded per image, so
    every epoch shows the same images. One row per image, one column per panel (for
    colorization: grey input | hints | prediction | ground truth); images of different sizes are
    padded with white to the largest. The grid goes to TensorBoard as ``val/preview`` and, if
    ``save_dir`` is set, to ``save_dir/epoch_XXX.png``.
    """

    def __init__(
        self, num_images: int = 8, every_n_epochs: int = 1, save_dir: str | None = None
    ) -> None:
        super().__init__()
        if num_images < 1 or every_n_epochs < 1:
            raise ValueError("callbacks.image_preview: num_images and every_n_epochs must be >= 1.")
        self.num_images = num_images
        self.every_n_epochs = every_n_epochs
        self.save_dir = Path(save_dir) if save_dir else None
        self._rows: list[list[torch.Tensor]] = []  # per image: its panels, each (3, H, W)
        self._done = False

    def _due(self, trainer: pl.Trainer) -> bool:
        return (
            not trainer.sanity_checking
            and trainer.is_global_zero
            and trainer.current_epoch % self.every_n_epochs == 0
        )

    def on_validation_epoch_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule):
        self._rows, self._done = [], False

    def on_validation_batch_end(
        self,
        trainer: pl.Trainer,
        pl_module: pl.LightningModule,
        outputs: Any,
        batch: dict[str, torch.Tensor],
        batch_idx: int,
        dataloader_idx: int = 0,
    ) -> None:
        if self._done or dataloader_idx != 0 or not self._due(trainer):
            return
        missing = self.num_images - len(self._rows)
        subset = {key: value[:missing] for key, value in batch.items()}
        panels = [p.detach().float().cpu() for p in pl_module.preview(subset)]
        self._rows += [list(images) for images in zip(*panels, strict=True)]
        if len(self._rows) >= self.num_images:
            self._log(trainer)

    def on_validation_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule):
        if self._rows and not self._done:  # fewer validation images than num_images
            self._log(trainer)

    def _log(self, trainer: pl.Trainer) -> None:
        self._done = True
        grid = self.render_rows(self._rows)
        self._rows = []
        for logger in trainer.loggers:
            if isinstance(logger, TensorBoardLogger):
                logger.experiment.add_image("val/preview", grid, global_step=trainer.global_step)
            elif hasattr(logger, "log_image"):  # W&B's, and the MLflow tracker's alike
                logger.log_image(key="val/preview", images=[grid], step=trainer.global_step)
        if self.save_dir is not None:
            self.save_dir.mkdir(parents=True, exist_ok=True)
            save_image(grid, self.save_dir / f"epoch_{trainer.current_epoch:03d}.png")

    @staticmethod
    def render_rows(rows: list[list[torch.Tensor]]) -> torch.Tensor:
        """Rows of panels, each (3, H, W), to one (3, H', W') grid; smaller images are padded
        with white (right and bottom) to the largest."""
        height = max(image.shape[-2] for row in rows for image in row)
        width = max(image.shape[-1] for row in rows for image in row)
        tiles = [
            F.pad(image, (0, width - image.shape[-1], 0, height - image.shape[-2]), value=1.0)
            for row in rows
            for image in row
        ]
        return make_grid(torch.stack(tiles), nrow=len(rows[0]), padding=2, pad_value=1.0)

    @classmethod
    def render(cls, panels: list[torch.Tensor]) -> torch.Tensor:
        """Panels, each (B, 3, H, W), to one (3, H', W') grid: a row per image."""
        rows = [list(images) for images in zip(*panels, strict=True)]
        return cls.render_rows([[image.detach().float().cpu() for image in row] for row in rows])
