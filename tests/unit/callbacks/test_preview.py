"""colorization.callbacks.preview: the preview grid."""

import torch
from torch import nn

from colorization.callbacks import ImagePreviewLogger
from colorization.data.colorization.hints import RandomPixelHints
from colorization.models import UNet
from colorization.tasks import ColorizationTask


def make_task(net: nn.Module) -> ColorizationTask:
    return ColorizationTask(net, nn.L1Loss(), torch.optim.Adam, hints=RandomPixelHints())


def batch(size: int = 24, count: int = 3) -> dict[str, torch.Tensor]:
    torch.manual_seed(0)
    return {
        "image": torch.randint(0, 256, (count, 3, size, size), dtype=torch.uint8),
        "index": torch.arange(count),
    }


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
