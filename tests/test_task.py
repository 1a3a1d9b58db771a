import pytest
import torch
import torchvision
from torch import nn

from colorization.callbacks import ImagePreviewLogger
from colorization.data.colorization.hints import RandomPixelHints
from colorization.metrics import ImagePSNR
from colorization.models import UNet
from colorization.tasks import ColorizationTask


class ZeroAB(nn.Module):
    """Predicts ab = 0 everywhere: exactly the "no colour" baseline."""

    in_channels, out_channels = 4, 2

    def __init__(self) -> None:
        super().__init__()
        self.scale = nn.Parameter(torch.zeros(()))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.zeros_like(x[:, :2]) * self.scale


def make_task(net: nn.Module) -> ColorizationTask:
    return ColorizationTask(net, nn.L1Loss(), torch.optim.Adam, hints=RandomPixelHints())


def batch(size: int = 24, count: int = 3) -> dict[str, torch.Tensor]:
    torch.manual_seed(0)
    return {
        "image": torch.randint(0, 256, (count, 3, size, size), dtype=torch.uint8),
        "index": torch.arange(count),
    }


def test_psnr_of_a_perfect_prediction_is_capped() -> None:
    metric = ImagePSNR(max_db=100.0)
    image = torch.rand(2, 3, 8, 8)
    metric.update(image, image)
    assert metric.compute().item() == 100.0


def test_psnr_is_the_mean_of_per_image_psnr() -> None:
    metric = ImagePSNR()
    target = torch.zeros(2, 3, 4, 4)
    preds = torch.stack([torch.full((3, 4, 4), 0.1), torch.full((3, 4, 4), 0.01)])
    metric.update(preds, target)
    assert metric.compute().item() == pytest.approx((20.0 + 40.0) / 2, abs=1e-4)


def test_zero_ab_prediction_scores_exactly_the_no_colour_baseline() -> None:
    task = make_task(ZeroAB())
    metrics = task.metrics["val"]
    sample = task.prepare_batch(batch(), "val")
    task.update_metrics(metrics, sample, task(sample.inputs))
    assert metrics["psnr"].compute() == metrics["psnr_no_color"].compute()
    assert metrics["ssim"].compute() == metrics["ssim_no_color"].compute()


def test_inputs_are_l_hints_and_mask() -> None:
    task = make_task(ZeroAB())
    sample = task.prepare_batch(batch(), "train")
    assert sample.inputs.shape == (3, 4, 24, 24) and sample.target.shape == (3, 2, 24, 24)
    mask = sample.inputs[:, 3:]
    assert set(mask.unique().tolist()) <= {0.0, 1.0}
    assert torch.equal(sample.inputs[:, 1:3], sample.target * mask)
    assert sample.inputs[:, :1].min() >= -1 and sample.inputs[:, :1].max() <= 1


def test_validation_hints_depend_only_on_image_index() -> None:
    task = make_task(ZeroAB())
    first = task.prepare_batch(batch(), "val").inputs
    assert torch.equal(first, task.prepare_batch(batch(), "val").inputs)
    assert not torch.equal(first, task.prepare_batch(batch(), "train").inputs)


def test_task_rejects_a_model_with_the_wrong_channels() -> None:
    with pytest.raises(ValueError, match="model.in_channels=3.*needs 4"):
        make_task(UNet(3, 2, base_width=4, depth=1))


def test_preview_grid_has_a_row_per_image_and_four_panels() -> None:
    task = make_task(UNet(4, 2, base_width=4, depth=2)).eval()
    panels = task.preview(batch(size=16, count=2))
    assert len(panels) == 4 and all(p.shape == (2, 3, 16, 16) for p in panels)
    assert all(p.min() >= 0 and p.max() <= 1 for p in panels)
    grid = ImagePreviewLogger.render(panels)
    assert grid.shape == (3, 2 * 18 + 2, 4 * 18 + 2)  # make_grid pads 2 px around each tile


def test_deeply_supervised_output_averages_the_head_losses() -> None:
    task = make_task(ZeroAB())
    target = torch.zeros(1, 2, 4, 4)
    heads = [torch.full((1, 2, 4, 4), value) for value in (1.0, 2.0, 3.0)]
    assert task.compute_loss(heads, target).item() == pytest.approx(2.0)
    assert task.compute_loss(heads[0], target).item() == pytest.approx(1.0)


def test_preview_grid_pads_images_of_different_sizes() -> None:
    rows = [[torch.zeros(3, 10, 14), torch.zeros(3, 10, 14)], [torch.zeros(3, 12, 8)] * 2]
    grid = ImagePreviewLogger.render_rows(rows)
    assert grid.shape == (3, 2 * 14 + 2, 2 * 16 + 2)
    assert grid[:, 2 + 10, 2].eq(1).all()  # below the first, shorter image: white padding


def test_preview_gathers_images_over_batches(make_cfg, tmp_path) -> None:
    from colorization.train import train

    cfg = make_cfg(
        "task=flare",
        "data.scene_size=40",
        "data.val_samples=3",
        "callbacks.image_preview.num_images=3",
        "task.tile_size=32",
        "task.tile_overlap=8",
    )
    train(cfg)
    grid = torchvision.io.decode_image(str(tmp_path / "previews" / "epoch_000.png"))
    # three rows (one per validation batch of one image), three panels, 40 x 60 images
    assert grid.shape == (3, 3 * 42 + 2, 3 * 62 + 2)
