"""Log a grid of preview panels for fixed validation images every validation epoch."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytorch_lightning as pl
import torch
from pytorch_lightning.loggers import TensorBoardLogger
from torchvision.utils import make_grid, save_image


class ImagePreviewLogger(pl.Callback):
    """Every ``every_n_epochs`` validation epochs, render the task's preview panels.

    The images are the first ``num_images`` of the first validation batch: the validation loader
    is not shuffled and validation hints are seeded per image, so every epoch shows the same
    images with the same hints. One row per image, one column per panel (for colorization:
    grey input | hints | prediction | ground truth). The grid goes to TensorBoard as
    ``val/preview`` and, if ``save_dir`` is set, to ``save_dir/epoch_XXX.png``.
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

    def on_validation_batch_end(
        self,
        trainer: pl.Trainer,
        pl_module: pl.LightningModule,
        outputs: Any,
        batch: dict[str, torch.Tensor],
        batch_idx: int,
        dataloader_idx: int = 0,
    ) -> None:
        if batch_idx != 0 or dataloader_idx != 0 or trainer.sanity_checking:
            return
        if trainer.current_epoch % self.every_n_epochs != 0 or not trainer.is_global_zero:
            return
        subset = {key: value[: self.num_images] for key, value in batch.items()}
        grid = self.render(pl_module.preview(subset))
        for logger in trainer.loggers:
            if isinstance(logger, TensorBoardLogger):
                logger.experiment.add_image("val/preview", grid, global_step=trainer.global_step)
        if self.save_dir is not None:
            self.save_dir.mkdir(parents=True, exist_ok=True)
            save_image(grid, self.save_dir / f"epoch_{trainer.current_epoch:03d}.png")

    @staticmethod
    def render(panels: list[torch.Tensor]) -> torch.Tensor:
        """Panels, each (B, 3, H, W), to one (3, H', W') grid: a row per image."""
        rows = torch.stack([p.detach().float().cpu() for p in panels], dim=1).flatten(0, 1)
        return make_grid(rows, nrow=len(panels), padding=2, pad_value=1.0)
