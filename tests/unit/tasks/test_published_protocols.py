"""Published evaluation protocols on generated data, with values checked by hand: a known shift
in 8-bit levels, a region of known area, a confusion matrix counted on paper."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from helpers import task_settings
from omegaconf import OmegaConf
from PIL import Image
from pytorch_lightning.utilities import AttributeDict
from torch import nn

from colorization.data.colorization.hints import GeometricPatchHints
from colorization.tasks import ColorizationTask, DenoisingTask
from colorization.tasks.base import PreparedBatch
from colorization.tasks.colorization.protocols import POINTS, InteractiveColorization, patch_hints
from colorization.tasks.denoising.protocols import GaussianDenoisingBenchmark
from colorization.tasks.flare import protocols as flare_protocols
from colorization.tasks.published import psnr_255, run_protocol
from colorization.tasks.segmentation.protocols import DatasetIoU, class_scores, confusion_matrix
from colorization.tasks.superres.protocols import SuperResolutionBenchmark

SHIFT_DB = 20 * math.log10(255 / 2)  # every value off by 2 levels


class StubTask(nn.Module):
    """A task whose prediction is its target plus ``error`` levels (where ``where`` is true)."""

    def __init__(self, inputs: str, target: str, error: float = 2.0, **hparams: Any) -> None:
        super().__init__()
        self.keys, self.error, self.where = (inputs, target), error, None
        self.hparams = AttributeDict(hparams)

    def prepare_batch(self, batch: dict[str, Any], stage: str) -> PreparedBatch:
        inputs, target = (batch[key].float() / 255 for key in self.keys)
        self.target = target
        return PreparedBatch(inputs=inputs, target=target)

    def predict_images(self, inputs: torch.Tensor) -> torch.Tensor:
        error = torch.full_like(self.target, self.error / 255)
        return self.target + (error if self.where is None else error * self.where)

    def decoded(self, pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return pred


def save_images(folder: Path, arrays: dict[str, np.ndarray]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, array in arrays.items():
        Image.fromarray(array).save(folder / name)


def config(**data: Any) -> Any:
    return OmegaConf.create({"data": data, "task": {"scale": 2, "hint_seed": 0}})


def test_psnr_of_a_known_shift() -> None:
    image = torch.full((1, 3, 4, 4), 100.0)
    assert psnr_255(image + 2, image) == pytest.approx(SHIFT_DB)
    assert psnr_255(image, image) == 100.0


def test_super_resolution_scores_y_of_8_bit_images_beside_matlab_bicubic(tmp_path: Path) -> None:
    generator = np.random.default_rng(0)
    save_images(
        tmp_path / "Set5",
        {f"{n}.png": generator.integers(20, 230, (14, 12, 3), dtype=np.uint8) for n in "ab"},
    )
    task = StubTask("low", "image", scale=2)
    protocol = SuperResolutionBenchmark()
    result = run_protocol(protocol, task, config(test_root=str(tmp_path / "Set5")), list)
    values = {row["metric"]: row["value"] for row in result.metrics}
    luma_shift = 2 * (65.481 + 128.553 + 24.966) / 255  # Y of an RGB shift of 2 levels
    assert values["psnr"] == pytest.approx(20 * math.log10(255 / luma_shift), abs=1e-3)
    assert 5 < values["psnr_bicubic"] < values["psnr"] and 0 < values["ssim_bicubic"] < 1
    assert [row["image"] for row in result.images] == ["a.png", "b.png"]
    assert {row["setting"] for row in result.images} == {"x2"}


def test_interactive_hints_are_n_seeded_2x2_patches_of_the_mean_colour() -> None:
    ab = torch.zeros(1, 2, 40, 40)
    ab[:, 0, :, 20:] = 0.5  # two colours
    for points in (0, 1, 5):
        generators = [torch.Generator().manual_seed(3)]
        hint_ab, mask = patch_hints(points)(ab, generators)
        again = patch_hints(points)(ab, [torch.Generator().manual_seed(3)])
        torch.testing.assert_close(hint_ab, again[0])
        assert 4 * min(points, 1) <= mask.sum() <= 4 * points
        assert set(hint_ab[0, 0][mask[0, 0] > 0].tolist()) <= {0.0, 0.25, 0.5}
    assert isinstance(patch_hints(3), GeometricPatchHints) and POINTS[-1] == 200


def test_a_model_that_predicts_grey_scores_as_the_grey_image(tmp_path: Path) -> None:
    net = nn.Conv2d(4, 2, 1)
    nn.init.zeros_(net.weight), nn.init.zeros_(net.bias)
    task = ColorizationTask(net, nn.L1Loss(), torch.optim.Adam, **task_settings("colorization"))
    save_images(
        tmp_path / "val",
        {"a.png": np.random.default_rng(1).integers(0, 256, (30, 50, 3), dtype=np.uint8)},
    )
    protocol = InteractiveColorization(24)
    result = run_protocol(protocol, task, config(test_root=str(tmp_path / "val")), list)
    rows = {(row["setting"], row["metric"]): row["value"] for row in result.metrics}
    assert len(rows) == 2 * len(POINTS)
    for points in POINTS:
        assert rows[(f"{points} hints", "psnr")] == pytest.approx(
            rows[(f"{points} hints", "psnr_no_color")]
        )
    assert task.hints.__class__.__name__ == "RandomPixelHints"  # its own hints came back


def test_denoising_adds_unclipped_noise_at_each_sigma_and_restores_the_task() -> None:
    task = DenoisingTask(
        nn.Conv2d(3, 3, 1), nn.MSELoss(), torch.optim.Adam, **task_settings("denoising", clip=True)
    )
    nn.init.zeros_(task.net.weight), nn.init.zeros_(task.net.bias)  # output = the noisy input
    grey = torch.full((3, 64, 64), 128, dtype=torch.uint8)
    images = [{"image": grey, "index": 0}]
    result = run_protocol(GaussianDenoisingBenchmark(), task, config(), lambda: images)
    rows = {(row["setting"], row["metric"]): row["value"] for row in result.metrics}
    assert rows[("sigma 15", "psnr")] == pytest.approx(rows[("sigma 15", "psnr_noisy")])
    assert rows[("sigma 15", "psnr_noisy")] == pytest.approx(20 * math.log10(255 / 15), abs=0.2)
    assert rows[("sigma 50", "psnr_noisy")] < rows[("sigma 25", "psnr_noisy")]
    assert task.hparams.clip is True and task.eval_sigma == 25.0


def test_flare_region_psnrs_of_a_known_error_in_a_known_region(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(flare_protocols, "alexnet_weights", lambda: tmp_path / "absent.pth")
    mask = np.zeros((8, 8, 3), np.uint8)
    mask[:4, :4] = (255, 255, 0)  # glare: a quarter of the image
    mask[4:, 4:] = (255, 0, 0)  # streak
    mask[0, 0] = (0, 0, 255)  # the light source, inside the glare square
    clean = np.full((8, 8, 3), 100, np.uint8)
    for folder, image in (("input", clean), ("gt", clean), ("mask", mask)):
        save_images(tmp_path / "real" / folder, {f"{folder}_000000.png": image})
    task = StubTask("input", "target", error=10.0)
    task.where = torch.zeros(1, 1, 8, 8)
    task.where[..., :4, :4] = 1  # the error only in the glare square
    protocol = flare_protocols.Flare7kProtocol()
    result = run_protocol(protocol, task, config(test_root=str(tmp_path / "real")), list)
    values = {row["metric"]: row["value"] for row in result.metrics}
    assert values["g_psnr"] == pytest.approx(10 * math.log10(255**2 / 100))
    assert values["psnr"] == pytest.approx(10 * math.log10(255**2 / 25))  # 100 over 1/4
    assert values["s_psnr"] == 100.0  # no error there
    global_mse = 15 * 100 / 63  # 15 of the glare pixels in a region of 63
    assert values["global_psnr"] == pytest.approx(10 * math.log10(255**2 / global_mse))
    regions = ("g_psnr", "s_psnr", "global_psnr")
    assert values["score"] == pytest.approx(sum(values[k] for k in regions) / 3)
    assert "lpips" not in values and "cannot be downloaded" in result.skipped["lpips"]


def test_confusion_matrix_and_class_scores_counted_by_hand() -> None:
    target = torch.tensor([[0, 0, 1, 255]])
    labels = torch.tensor([[0, 1, 1, 1]])
    confusion = confusion_matrix(labels, target, 2, ignore=255)
    assert confusion.tolist() == [[1, 1], [0, 1]]  # the ignored pixel counts nowhere
    iou, dice = class_scores(confusion)
    assert iou == pytest.approx([1 / 2, 1 / 2]) and dice == pytest.approx([2 / 3, 2 / 3])
    iou, _ = class_scores(torch.tensor([[4, 0], [0, 0]]))
    assert iou[0] == 1.0 and math.isnan(iou[1])  # a class seen nowhere has no score


def test_dataset_iou_differs_from_the_mean_of_images() -> None:
    """Image A: 16 pixels of class 1, found. Image B: one class-1 pixel of 16, missed."""
    truths = [torch.ones(1, 4, 4, dtype=torch.long), torch.zeros(1, 4, 4, dtype=torch.long)]
    truths[1][0, 0, 0] = 1
    logits = [torch.full((1, 1, 4, 4), 5.0), torch.full((1, 1, 4, 4), -5.0)]
    images = [
        {"mask": t, "logits": p, "index": i}
        for i, (t, p) in enumerate(zip(truths, logits, strict=True))
    ]

    class Segmenter(StubTask):
        def prepare_batch(self, batch: dict[str, Any], stage: str) -> PreparedBatch:
            self.logits = batch["logits"][0]
            return PreparedBatch(inputs=batch["logits"][0], target=batch["mask"][0])

        def predict_images(self, inputs: torch.Tensor) -> torch.Tensor:
            return inputs

        def predict_labels(self, pred: torch.Tensor) -> torch.Tensor:
            return (pred[:, 0] > 0).long()

    task = Segmenter("", "", num_classes=2, ignore_index=None, class_names=["bg", "cell"])
    result = run_protocol(DatasetIoU(), task, config(), lambda: images)
    values = {row["metric"]: row["value"] for row in result.metrics}
    assert values["miou_per_image"] == pytest.approx((1 + (15 / 16 + 0) / 2) / 2)
    # summed: background 15 hits of 15 true, 16 predicted; class 1 16 hits of 17 true, 16 predicted
    assert values["iou_bg"] == pytest.approx(15 / 16)
    assert values["iou_cell"] == pytest.approx(16 / 17)
    assert values["miou"] == pytest.approx((15 / 16 + 16 / 17) / 2)
    assert values["pixel_accuracy"] == pytest.approx(31 / 32)


def test_flare_lpips_is_scored_where_alexnet_weights_are(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    weights = tmp_path / "alexnet-owt-7be5be79.pth"
    weights.touch()
    monkeypatch.setattr(flare_protocols, "alexnet_weights", lambda: weights)
    protocol = flare_protocols.Flare7kProtocol()
    monkeypatch.setattr(protocol, "lpips", lambda image, truth: 0.25)
    image = torch.full((3, 8, 8), 90, dtype=torch.uint8)
    images = [{"input": image, "target": image, "index": 0}]
    result = run_protocol(protocol, StubTask("input", "target"), config(), lambda: images)
    values = {row["metric"]: row["value"] for row in result.metrics}
    assert values["lpips"] == 0.25 and result.skipped == {}
    assert "g_psnr" not in values and "score" not in values  # no masks, no region numbers


def test_images_left_out_are_recorded_and_none_is_scored_in_anothers_place() -> None:
    """A benchmark's account says which test images it did not score: those the header check
    left out (``left_out``) and one that fails to decode later (never replaced by another)."""

    class Images(list):
        left_out = {"tiny.png": "too small: 1x1 < 64"}

        def __getitem__(self, index: int) -> Any:
            if index == 1:
                raise ValueError("b.png: truncated")
            return super().__getitem__(index)

        def item_name(self, index: int) -> str:
            return "abc"[index] + ".png"

    grey = torch.full((3, 16, 16), 128, dtype=torch.uint8)
    images = Images([{"image": grey, "index": i} for i in range(3)])
    task = DenoisingTask(
        nn.Conv2d(3, 3, 1), nn.MSELoss(), torch.optim.Adam, **task_settings("denoising")
    )
    result = run_protocol(GaussianDenoisingBenchmark(), task, config(), lambda: images)
    assert result.left_out == {"tiny.png": "too small: 1x1 < 64", "b.png": "b.png: truncated"}
    assert {row["image"] for row in result.images} == {"a.png", "c.png"}
