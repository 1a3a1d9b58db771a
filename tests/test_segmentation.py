"""Segmentation: synthetic shapes, mask folders and their errors, joint augmentation, losses,
metrics, and training through the real config for binary, multiclass and every model."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from hydra.errors import InstantiationException
from PIL import Image
from torch import nn

from colorization.data import SegmentationDataModule
from colorization.data.segmentation.masks import (
    SegmentationPairs,
    pair_images_and_masks,
    train_transform,
)
from colorization.data.segmentation.shapes import SHAPE_CLASSES, SyntheticShapesDataset, make_scene
from colorization.losses import BCEDiceLoss, BCELoss, CrossEntropyLoss, DiceLoss, FocalLoss
from colorization.tasks import SegmentationTask
from colorization.tasks.segmentation import otsu_foreground
from colorization.train import train
from colorization.zoo import model_names

SEGMENTATION = ("task=segmentation", "data.val_samples=8")


def photos() -> list[torch.Tensor]:
    torch.manual_seed(0)
    return [torch.randint(0, 256, (3, 60, 80), dtype=torch.uint8) for _ in range(3)]


# --- synthetic shapes --------------------------------------------------------------------
def test_scene_is_reproducible_and_masks_are_exact_classes() -> None:
    def scene(seed, multi):
        return make_scene(
            photos(),
            48,
            torch.Generator().manual_seed(seed),
            max_shapes=3,
            multiclass=multi,
        )

    image, mask = scene(3, True)
    again, mask_again = scene(3, True)
    assert torch.equal(image, again) and torch.equal(mask, mask_again)
    assert image.shape == (3, 48, 48) and image.dtype == torch.uint8
    assert mask.shape == (48, 48) and set(mask.unique().tolist()) <= {0, 1, 2, 3}
    assert mask.max() > 0  # at least one shape
    _, binary = scene(3, False)
    assert torch.equal(binary, (mask > 0).long())


def test_every_shape_class_appears_with_its_label() -> None:
    seen: set[int] = set()
    for seed in range(30):
        _, mask = make_scene(photos(), 32, torch.Generator().manual_seed(seed), 3, True)
        seen |= set(mask.unique().tolist())
    assert seen == set(range(len(SHAPE_CLASSES) + 1))


def test_shape_fill_has_the_background_brightness() -> None:
    """Shapes differ from the background by texture and edges, not by mean brightness."""
    gaps = []
    for seed in range(20):
        image, mask = make_scene(photos(), 64, torch.Generator().manual_seed(seed), 1)
        inside, outside = image[:, mask == 1].float(), image[:, mask == 0].float()
        gaps.append((inside.mean() - outside.mean()).abs().item())
    assert np.median(gaps) < 20  # of 255


def test_synthetic_dataset_rejects_unsupported_class_counts() -> None:
    with pytest.raises(ValueError, match="task.num_classes=2 .* or 4"):
        SyntheticShapesDataset(photos(), 32, 4, num_classes=3)


def test_validation_scenes_are_fixed_training_scenes_vary() -> None:
    val = SyntheticShapesDataset(photos(), 32, 4, seed=0)
    assert torch.equal(val[1][0], val[1][0])
    train_set = SyntheticShapesDataset(photos(), 32, 4, seed=None)
    assert not torch.equal(train_set[1][0], train_set[1][0])


# --- folders of images and masks ------------------------------------------------------------
def write_pair(root: Path, stem: str, size=(40, 30), values=(0, 255), suffix="_mask", ext=".png"):
    (root / "images").mkdir(parents=True, exist_ok=True)
    (root / "masks").mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(len(stem))
    Image.fromarray(rng.integers(0, 255, (size[1], size[0], 3), dtype=np.uint8)).save(
        root / "images" / f"{stem}.jpg"
    )
    mask = np.full((size[1], size[0]), values[0], dtype=np.uint8)
    mask[5:20, 10:30] = values[-1]
    Image.fromarray(mask).save(root / "masks" / f"{stem}{suffix}{ext}")


def folder_module(root: Path, **kwargs) -> SegmentationDataModule:
    settings = dict(
        images=str(root / "images"),
        masks=str(root / "masks"),
        mask_suffix="_mask",
        image_size=24,
        batch_size=2,
        num_workers=0,
    )
    return SegmentationDataModule(**{**settings, **kwargs})


def test_pairs_match_by_stem_and_suffix_including_gif(tmp_path: Path) -> None:
    write_pair(tmp_path, "car1")
    write_pair(tmp_path, "car2", ext=".gif")
    pairs = pair_images_and_masks(tmp_path / "images", tmp_path / "masks", "_mask")
    assert [(p.image.name, p.mask.name) for p in pairs] == [
        ("car1.jpg", "car1_mask.png"),
        ("car2.jpg", "car2_mask.gif"),
    ]


def test_missing_mask_names_the_images_and_the_suffix_fix(tmp_path: Path) -> None:
    write_pair(tmp_path, "a")
    write_pair(tmp_path, "b")
    (tmp_path / "masks" / "b_mask.png").unlink()
    with pytest.raises(FileNotFoundError, match=r"1 of 2 images.*\n  b\.jpg") as error:
        pair_images_and_masks(tmp_path / "images", tmp_path / "masks", "_mask")
    assert "data.mask_suffix" in str(error.value)
    with pytest.raises(FileNotFoundError, match="named like 'a_mask'"):
        pair_images_and_masks(tmp_path / "images", tmp_path / "masks", "")


def test_size_mismatch_is_reported_before_training(tmp_path: Path) -> None:
    for stem in ("a", "b", "c"):
        write_pair(tmp_path, stem)
    Image.fromarray(np.zeros((10, 10), np.uint8)).save(tmp_path / "masks" / "b_mask.png")
    with pytest.raises(ValueError, match=r"(?s)differ in size.*b\.jpg \(40, 30\) vs b_mask\.png"):
        folder_module(tmp_path).setup("fit")


def test_values_outside_the_classes_are_reported(tmp_path: Path) -> None:
    for stem in ("a", "b", "c"):
        write_pair(tmp_path, stem, values=(0, 1, 2))
    write_pair(tmp_path, "d", values=(0, 7))
    with pytest.raises(ValueError, match=r"(?s)outside the classes.*d_mask\.png: values \[7\]"):
        folder_module(tmp_path, num_classes=3).setup("fit")
    folder_module(tmp_path, num_classes=3, ignore_index=7).setup("fit")  # declared: fine


def test_binary_masks_0_255_become_0_1(tmp_path: Path) -> None:
    for stem in ("a", "b", "c"):
        write_pair(tmp_path, stem)
    module = folder_module(tmp_path)
    module.setup("fit")
    batch = next(iter(module.val_dataloader()))
    assert batch["image"].shape[1:] == (3, 24, 24) and batch["mask"].shape[1:] == (24, 24)
    assert set(batch["mask"].unique().tolist()) <= {0, 1}


def test_augmentation_keeps_image_and_mask_aligned() -> None:
    """Image = mask pattern x 60 in every channel; after crops, flips and rotations the two must
    still agree pixel for pixel (the image is bilinear, so edge pixels may blend)."""
    blocks = torch.arange(16).reshape(4, 4) % 4
    mask = blocks.repeat_interleave(16, 0).repeat_interleave(16, 1)
    image = (mask * 60).to(torch.uint8).expand(3, -1, -1).clone()
    samples = SegmentationPairs(
        [(image, mask)], train_transform(48, (0.3, 1.0), 30.0, True, ignore_index=255)
    )
    torch.manual_seed(0)
    for _ in range(10):
        item = samples[0]
        labels, values = item["mask"], item["image"][0].float()
        inside = labels != 255
        agree = (values[inside] / 60).round() == labels[inside]
        assert agree.float().mean() > 0.9


# --- losses and metrics ------------------------------------------------------------------
def test_dice_of_a_perfect_prediction_is_one_and_of_an_empty_one_follows_the_formula() -> None:
    target = torch.zeros(1, 8, 8, dtype=torch.long)
    target[0, :4, :4] = 1  # 16 foreground pixels
    perfect = torch.where(target.bool(), 20.0, -20.0).float().unsqueeze(1)
    empty = torch.full_like(perfect, -20.0)
    dice = DiceLoss(eps=1.0)
    assert dice(perfect, target).item() == pytest.approx(0.0, abs=1e-6)
    # soft Dice = (2 * 0 + eps) / (0 + 16 + eps) -> loss = 1 - 1/17
    assert dice(empty, target).item() == pytest.approx(1 - 1 / 17, abs=1e-4)
    both_empty = torch.zeros_like(target)
    assert dice(empty, both_empty).item() == pytest.approx(0.0, abs=1e-6)

    task = make_task(DiceLoss())
    metrics = task.metrics["val"]
    task.update_metrics(metrics, sample_of(target), perfect)
    assert metrics["dice"].compute().item() == pytest.approx(1.0)
    assert metrics["iou"].compute().item() == pytest.approx(1.0)
    for metric in metrics.values():
        metric.reset()
    task.update_metrics(metrics, sample_of(target), empty)
    assert metrics["dice"].compute().item() == pytest.approx(0.0)  # 2TP / (2TP + FP + FN)
    assert metrics["pixel_accuracy"].compute().item() == pytest.approx(48 / 64)


def test_losses_ignore_the_ignore_index() -> None:
    logits = torch.randn(2, 3, 8, 8)
    target = torch.randint(0, 3, (2, 8, 8))
    noisy = target.clone()
    noisy[:, :2] = 255
    changed = target.clone()
    changed[:, :2] = (target[:, :2] + 1) % 3
    for loss in (CrossEntropyLoss(255), DiceLoss(255), FocalLoss(255)):
        with_ignore = loss(logits, noisy)
        # the ignored rows do not count: changing their labels changes nothing
        noisy_changed = changed.clone()
        noisy_changed[:, :2] = 255
        assert torch.isfinite(with_ignore)
        assert loss(logits, noisy_changed).item() == pytest.approx(with_ignore.item())


def test_bce_dice_is_the_weighted_sum() -> None:
    logits, target = torch.randn(2, 1, 8, 8), torch.randint(0, 2, (2, 8, 8))
    combined = BCEDiceLoss(bce_weight=0.5, dice_weight=1.0)(logits, target)
    expected = 0.5 * BCELoss()(logits, target) + DiceLoss()(logits, target)
    assert combined.item() == pytest.approx(expected.item())


def make_task(loss: nn.Module, num_classes: int = 2) -> SegmentationTask:
    from colorization.models import UNet

    channels = 1 if num_classes == 2 else num_classes
    net = UNet(in_channels=3, out_channels=channels, base_width=4, depth=2)
    return SegmentationTask(net, loss, torch.optim.Adam, num_classes=num_classes)


def sample_of(target: torch.Tensor):
    from colorization.tasks.base import PreparedBatch

    rgb = torch.rand(target.shape[0], 3, *target.shape[1:])
    return PreparedBatch(inputs=rgb * 2 - 1, target=target, extras={"rgb": rgb})


@pytest.mark.parametrize(
    ("loss", "num_classes", "message"),
    [
        (BCELoss(), 4, "loss=bce is for binary segmentation"),
        (BCEDiceLoss(), 4, "loss=bce_dice is for binary segmentation"),
        (CrossEntropyLoss(), 2, "loss=ce needs one output channel per class"),
        (nn.L1Loss(), 2, "L1Loss is a regression loss.*Use loss=dice"),
    ],
)
def test_a_loss_that_does_not_fit_fails_at_start(loss, num_classes: int, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make_task(loss, num_classes)


def test_colorization_rejects_a_segmentation_loss(make_cfg) -> None:
    with pytest.raises(
        InstantiationException, match="DiceLoss is a segmentation loss.*Use loss=l1"
    ):
        train(make_cfg("loss=dice"))


def test_threshold_baseline_finds_a_bright_square() -> None:
    rgb = torch.full((1, 3, 16, 16), 0.2)
    rgb[:, :, 4:12, 4:12] = 0.9
    truth = torch.zeros(1, 16, 16, dtype=torch.long)
    truth[:, 4:12, 4:12] = 1
    assert torch.equal(otsu_foreground(rgb, truth), truth)
    assert torch.equal(otsu_foreground(rgb, 1 - truth), 1 - truth)  # dark polarity chosen


def test_preview_overlays_three_panels() -> None:
    task = make_task(DiceLoss(), num_classes=4)
    batch = {
        "image": torch.randint(0, 255, (2, 3, 16, 16), dtype=torch.uint8),
        "mask": torch.randint(0, 4, (2, 16, 16)),
        "index": torch.arange(2),
    }
    panels = task.preview(batch)
    assert len(panels) == 3 and all(p.shape == (2, 3, 16, 16) for p in panels)
    assert not torch.equal(panels[0], panels[1])  # the ground-truth overlay tints the image


# --- training through the config -----------------------------------------------------------
@pytest.mark.parametrize(
    "overrides",
    [
        (),
        ("loss=bce_dice",),
        ("task.num_classes=4", "loss=ce"),
        ("task.num_classes=4", "loss=focal"),
    ],
)
def test_fast_dev_run(make_cfg, overrides: tuple[str, ...]) -> None:
    trainer, task = train(make_cfg(*SEGMENTATION, *overrides, "+trainer.fast_dev_run=1"))
    assert trainer.global_step == 1
    metrics = trainer.callback_metrics
    for name in ("val/dice", "val/iou", "val/pixel_accuracy", "val/dice_threshold"):
        assert 0 <= float(metrics[name]) <= 1, name
    if "task.num_classes=4" in overrides:
        assert {f"val/dice_class{i}" for i in range(4)} <= set(metrics)


def test_trains_on_a_folder_of_pairs(make_cfg, tmp_path: Path) -> None:
    data = tmp_path / "data"
    for index in range(6):
        write_pair(data, f"img{index}", size=(48, 40))
    folders = (f"data.images={data / 'images'}", f"data.masks={data / 'masks'}")
    trainer, _ = train(make_cfg(*SEGMENTATION, *folders, "data.mask_suffix=_mask"))
    assert trainer.current_epoch == 1 and "val/dice" in trainer.callback_metrics


@pytest.mark.parametrize("name", model_names())
def test_every_model_trains_a_step_on_segmentation(make_cfg, name: str) -> None:
    trainer, _ = train(make_cfg(*SEGMENTATION, f"model={name}", "+trainer.fast_dev_run=1"))
    assert trainer.global_step == 1
    assert torch.isfinite(trainer.callback_metrics["train/loss"])
