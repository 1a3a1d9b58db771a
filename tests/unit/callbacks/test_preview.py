"""colorization.callbacks.preview: the preview grid."""

import torch
from helpers import batch, make_task

from colorization.callbacks import ImagePreviewLogger
from colorization.models import UNet


def test_preview_grid_has_a_row_per_image_and_four_panels() -> None:
    task = make_task(UNet(4, 2, base_width=4, depth=2)).eval()
    panels = task.preview(batch(size=16, count=2))
    assert len(panels) == 4 and all(p.shape == (2, 3, 16, 16) for p in panels)
    assert all(p.min() >= 0 and p.max() <= 1 for p in panels)
    grid = ImagePreviewLogger.render(panels)
    assert grid.shape == (3, 2 * 18 + 2, 4 * 18 + 2)  # make_grid pads 2 px around each tile


def test_preview_grid_pads_images_of_different_sizes() -> None:
    rows = [[torch.zeros(3, 10, 14), torch.zeros(3, 10, 14)], [torch.zeros(3, 12, 8)] * 2]
    grid = ImagePreviewLogger.render_rows(rows)
    assert grid.shape == (3, 2 * 14 + 2, 2 * 16 + 2)
    assert grid[:, 2 + 10, 2].eq(1).all()  # below the first, shorter image: white padding
