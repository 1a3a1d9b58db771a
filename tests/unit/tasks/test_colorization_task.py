"""ColorizationTask: inputs, hints, metrics against the no-colour baseline, loss checks."""

from __future__ import annotations

import functools
from types import SimpleNamespace

import pytest
import torch
from helpers import batch, make_task, task_settings
from hydra.errors import InstantiationException
from torch import nn

from colorization.data.colorization.ab_prior import CACHE_NAME
from colorization.losses import ABClassificationLoss
from colorization.models import UNet
from colorization.tasks import ColorizationTask
from colorization.train import train


class ZeroAB(nn.Module):
    """Predicts ab = 0 everywhere: exactly the "no colour" baseline."""

    in_channels, out_channels = 4, 2

    def __init__(self) -> None:
        super().__init__()
        self.scale = nn.Parameter(torch.zeros(()))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.zeros_like(x[:, :2]) * self.scale


def test_colorization_rejects_a_segmentation_loss(make_cfg) -> None:
    with pytest.raises(
        InstantiationException,
        match="DiceLoss is a classification loss.*Use loss=ab_classification, charbonnier, l1",
    ):
        train(make_cfg("loss=dice"))


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


def test_deeply_supervised_output_averages_the_head_losses() -> None:
    task = make_task(ZeroAB())
    target = torch.zeros(1, 2, 4, 4)
    heads = [torch.full((1, 2, 4, 4), value) for value in (1.0, 2.0, 3.0)]
    assert task.compute_loss(heads, target).item() == pytest.approx(2.0)
    assert task.compute_loss(heads[0], target).item() == pytest.approx(1.0)


def test_training_images_get_no_hints_at_the_configured_rate_validation_never() -> None:
    from torch import nn

    from colorization.data.colorization.hints import RandomPixelHints
    from colorization.tasks import ColorizationTask

    task = ColorizationTask(
        nn.Conv2d(4, 2, 1),
        nn.L1Loss(),
        torch.optim.Adam,
        hints=RandomPixelHints(),
        **task_settings("colorization", no_hint_rate=0.25),
    )
    torch.manual_seed(0)
    images = {
        "image": torch.randint(0, 256, (400, 3, 8, 8), dtype=torch.uint8),
        "index": torch.arange(400),
    }
    hinted = task.prepare_batch(images, "train").extras["mask"].flatten(1).amax(1)
    assert abs((hinted == 0).float().mean().item() - 0.25) < 0.06
    assert task.prepare_batch(images, "val").extras["mask"].flatten(1).amax(1).min() == 1
    with pytest.raises(ValueError, match="no_hint_rate must be in"):
        ColorizationTask(
            nn.Conv2d(4, 2, 1),
            nn.L1Loss(),
            torch.optim.Adam,
            **task_settings("colorization", no_hint_rate=2.0),
        )
    with pytest.raises(ValueError, match="task.baselines: unknown"):
        ColorizationTask(
            nn.Conv2d(4, 2, 1),
            nn.L1Loss(),
            torch.optim.Adam,
            **task_settings("colorization", baselines=["magic"]),
        )


def test_hue_rotation_keeps_chroma_and_turns_the_configured_share_of_images() -> None:
    from colorization.tasks.colorization.task import rotate_hue

    torch.manual_seed(0)
    ab = torch.rand(400, 2, 4, 4) - 0.5
    turned = rotate_hue(ab, 0.5)
    assert torch.allclose(turned.norm(dim=1), ab.norm(dim=1), atol=1e-6)
    changed = (turned - ab).flatten(1).abs().amax(1) > 1e-6
    assert abs(changed.float().mean().item() - 0.5) < 0.08
    assert torch.equal(rotate_hue(ab, 0.0), ab)


def refining_task(**options: object) -> nn.Module:
    from colorization.data.colorization.hints import RandomPixelHints
    from colorization.tasks import ColorizationTask

    net = UNet(6, 2, base_width=4, depth=2)
    return ColorizationTask(
        net,
        nn.L1Loss(),
        torch.optim.Adam,
        hints=RandomPixelHints(),
        **task_settings("colorization", **options),
    )


def test_a_refining_task_feeds_levins_propagation_and_starts_at_its_score() -> None:
    from colorization.data.colorization.baselines import levin

    task = refining_task(propagation="levin", in_channels=6, baselines=["levin"])
    sample = task.prepare_batch(batch(), "val")
    assert sample.inputs.shape == (3, 6, 24, 24)
    extras = sample.extras
    expected = levin(extras["lightness"], extras["hint_ab"], extras["mask"])
    assert torch.allclose(sample.inputs[:, 4:], expected)
    metrics = task.metrics["val"]
    task.update_metrics(metrics, sample, task(sample.inputs))
    assert metrics["psnr"].compute() == metrics["psnr_levin"].compute()


def test_a_propagation_needs_six_input_channels_and_a_known_method() -> None:
    with pytest.raises(ValueError, match="adds 2 input channels.*task.in_channels=6"):
        refining_task(propagation="levin")
    with pytest.raises(ValueError, match="task.propagation: unknown 'magic'"):
        refining_task(propagation="magic", in_channels=6)


def test_the_evaluation_loss_is_a_per_image_mean_that_shows_nan() -> None:
    """val/loss is a torchmetrics mean (summed exactly over DDP ranks): weighted by images, and
    NaN when a batch's loss is, never silently left out."""
    task = make_task(UNet(4, 2, base_width=4, depth=1))
    task.log = lambda *args, **kwargs: None
    task.predict_images = lambda inputs: torch.zeros(len(inputs), 2, *inputs.shape[-2:])
    task.compute_loss = lambda pred, target: torch.tensor(float(len(pred)))  # 3, then 1
    for size in (3, 1):
        task._evaluate(batch(size=16, count=size), "val")
    assert task.mean_losses["val"].compute().item() == pytest.approx((3 * 3 + 1 * 1) / 4)
    task.compute_loss = lambda pred, target: torch.tensor(float("nan"))
    task._evaluate(batch(size=16, count=2), "val")
    assert torch.isnan(task.mean_losses["val"].compute())


def test_automatic_colorization_feeds_lightness_alone() -> None:
    """task/hints=none with task.in_channels=1: Zhang et al. 2016's setting."""
    from colorization.data.colorization.hints import NoHints

    task = ColorizationTask(
        UNet(1, 2, base_width=4, depth=1),
        nn.L1Loss(),
        torch.optim.Adam,
        hints=NoHints(),
        **task_settings("colorization", in_channels=1),
    )
    prepared = task.prepare_batch(batch(size=16, count=2), "train")
    assert prepared.inputs.shape == (2, 1, 16, 16)
    assert not prepared.extras["mask"].any() and not prepared.extras["hint_ab"].any()
    with_zeros = make_task(UNet(4, 2, base_width=4, depth=1))
    with_zeros.hints = NoHints()
    inputs = with_zeros.prepare_batch(batch(size=16, count=2), "val").inputs
    assert inputs.shape[1] == 4 and not inputs[:, 1:].any()


@pytest.mark.parametrize(
    ("in_channels", "hints", "message"),
    [(1, None, "task/hints=none"), (3, None, "must be 1 \\(L\\), 4")],
)
def test_channel_counts_the_task_cannot_feed_stop_with_the_fix(in_channels, hints, message):
    with pytest.raises(ValueError, match=message):
        ColorizationTask(
            UNet(in_channels, 2, base_width=4, depth=1),
            nn.L1Loss(),
            torch.optim.Adam,
            hints=hints,
            **task_settings("colorization", in_channels=in_channels),
        )


# --- loss=ab_classification (Zhang et al. 2016) ------------------------------------------------
def classifying_task(**options) -> ColorizationTask:
    network = functools.partial(UNet, base_width=4, depth=1)
    return ColorizationTask(
        network,
        ABClassificationLoss(),
        torch.optim.Adam,
        **task_settings("colorization", **options),
    )


def test_the_classification_loss_gives_the_network_one_output_per_bin() -> None:
    task = classifying_task()
    assert task.net.out_channels == 313 and task.hparams.out_channels == 2
    sample = task.prepare_batch(batch(size=16, count=2), "val")
    scores = task(sample.inputs)
    assert scores.shape == (2, 313, 16, 16)
    assert task.decoded(scores, sample.target).shape == (2, 2, 16, 16)
    # metrics and previews see ab, the loss the scores
    task.update_metrics(task.metrics["val"], sample, task.decoded(scores, sample.target))
    assert torch.isfinite(task.metrics["val"]["psnr"].compute())
    assert all(panel.shape == (2, 3, 16, 16) for panel in task.preview(batch(size=16, count=2)))


def test_a_regression_task_keeps_its_output_undecoded() -> None:
    task = make_task(UNet(4, 2, base_width=4, depth=1))
    assert task.output_decoder is None
    pred = torch.rand(1, 2, 8, 8)
    assert task.decoded(pred, pred) is pred


def test_the_classification_loss_refuses_what_cannot_use_bins() -> None:
    with pytest.raises(ValueError, match="task.propagation=levin refines propagated ab"):
        classifying_task(propagation="levin", in_channels=6)
    two_outputs = functools.partial(UNet, base_width=4, depth=1, out_channels=2)
    with pytest.raises(ValueError, match="model.out_channels=2 but task .* needs 313"):
        ColorizationTask(
            two_outputs, ABClassificationLoss(), torch.optim.Adam, **task_settings("colorization")
        )


def test_the_classification_loss_must_use_the_task_s_ab_unit() -> None:
    network = functools.partial(UNet, base_width=4, depth=1)
    with pytest.raises(ValueError, match="set loss.ab_scale=110.0"):
        ColorizationTask(
            network,
            ABClassificationLoss(ab_scale=128.0),
            torch.optim.Adam,
            **task_settings("colorization"),
        )


class Broadcast:
    """A strategy whose broadcast hands every rank ``rank_zero_value``."""

    def __init__(self, rank_zero_value=None) -> None:
        self.rank_zero_value, self.sent = rank_zero_value, []

    def broadcast(self, value, src: int = 0):
        self.sent.append(value)
        return value if self.rank_zero_value is None else self.rank_zero_value


def test_rank_zero_measures_the_bin_prior_and_every_rank_uses_its_counts(tmp_path) -> None:
    crops = [{"image": torch.full((3, 4, 4), 200, dtype=torch.uint8)}] * 3
    datamodule = SimpleNamespace(hparams={"image_size": 4}, train_set=crops)
    first = classifying_task()
    first.trainer = SimpleNamespace(
        is_global_zero=True,
        default_root_dir=str(tmp_path),
        datamodule=datamodule,
        strategy=Broadcast(),
    )
    first.setup("fit")
    assert (tmp_path / CACHE_NAME).is_file()
    counts = first.trainer.strategy.sent[0]
    assert counts.sum() == 3 * 16  # every pixel of the 3 crops
    other = classifying_task()
    other.trainer = SimpleNamespace(
        is_global_zero=False,
        default_root_dir=str(tmp_path / "elsewhere"),
        datamodule=SimpleNamespace(hparams={}, train_set=[]),  # not read on this rank
        strategy=Broadcast(rank_zero_value=counts),
    )
    other.setup("fit")
    torch.testing.assert_close(other.loss.class_weights, first.loss.class_weights)
    assert not (tmp_path / "elsewhere").exists()
    without_data = classifying_task()
    without_data.trainer = SimpleNamespace(datamodule=None)
    with pytest.raises(ValueError, match="loss.rebalance=false"):
        without_data.setup("fit")
