"""``evaluate --protocol interactive-224`` / ``interactive-256``: hint-based colorization measured
as the interactive-colorization papers' tables are (PSNR against the number of hints)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import torch
from omegaconf import DictConfig, OmegaConf
from torch.utils.data import Dataset

from colorization.data.colorization.benchmark import SquareResized, listed_images
from colorization.data.colorization.hints import GeometricPatchHints
from colorization.data.colorization.lab import normalized_lab_to_rgb
from colorization.tasks.published import (
    PublishedProtocol,
    RunTestImages,
    prediction,
    psnr_255,
    quantized,
)
from colorization.tasks.settings import Setting

POINTS = (0, 1, 2, 5, 10, 20, 50, 100, 200)
PATCH = 2


def patch_hints(points: int) -> GeometricPatchHints:
    """``points`` hints of 2 x 2 pixels carrying their mean true ab, at uniformly random
    places (later ones over earlier ones where they meet)."""
    return GeometricPatchHints(
        patch_sizes=(PATCH,), location="uniform", points=points, max_points=max(points, 1)
    )


class InteractiveColorization(PublishedProtocol):
    """Each image resized to ``size`` x ``size``; N hints of 2 x 2 patches of the true colour at
    uniformly random places, seeded per image (``task.hint_seed`` + the image's index, so every
    model gets the same hints); PSNR of the 8-bit RGB (the prediction's ab on the true L)."""

    task = "colorization"
    papers = "Zhang et al. 2017 (256 px), iColoriT (Yun et al. 2023, 224 px); ImageNet ctest10k"

    def __init__(self, size: int) -> None:
        self.size = size
        self.name = f"interactive-{size}"
        self.summary = (
            f"images resized to {size} x {size}; N = {', '.join(map(str, POINTS))} hints of "
            "2 x 2 patches with their mean true ab at uniform random places, seeded per image; "
            "PSNR of the 8-bit RGB (and of the grey image, psnr_no_color)"
        )
        self.anchors = (
            "Zhang et al. 2017, 256 px, 6 x 6 patches: 24.43 dB at 0 hints, 28.42 at 10"
            if size == 256
            else "iColoriT (224 px, 2 x 2 patches): PSNR at 1, 2, 5, 10, 20, 50, 100, 200 hints"
        )

    def settings(self, config: DictConfig) -> list[Setting]:
        return [Setting(n, f"{n} hints", f"@{n} hints") for n in POINTS]

    @contextlib.contextmanager
    def applied(self, task: Any, setting: Setting) -> Iterator[None]:
        with task.using_hints(patch_hints(setting.value)):
            yield

    def test_set(self, config: DictConfig, run_test_images: RunTestImages) -> Dataset:
        root = OmegaConf.select(config, "data.test_root", default=None)
        image_list = OmegaConf.select(config, "data.test_list", default=None)
        if root is None and image_list is not None:
            raise ValueError("data.test_list names images under data.test_root: give both.")
        images = run_test_images() if root is None else listed_images(root, image_list)
        return SquareResized(images, self.size)

    def score(
        self, task: Any, batch: dict[str, Any], setting: Setting
    ) -> tuple[torch.Tensor, dict[str, float]]:
        prepared, pred = prediction(task, batch)
        lightness = prepared.extras["lightness"]
        truth = quantized(prepared.extras["rgb"])
        colored = quantized(normalized_lab_to_rgb(lightness, pred.float()))
        grey = quantized(normalized_lab_to_rgb(lightness, torch.zeros_like(prepared.target)))
        return prepared.target, {
            "psnr": psnr_255(colored, truth),
            "psnr_no_color": psnr_255(grey, truth),
        }

    def note(self, config: DictConfig) -> str:
        seed = OmegaConf.select(config, "task.hint_seed", default=0)
        return f"{self.summary}; hints of test image i from seed {seed} + i"


PROTOCOLS = (InteractiveColorization(224), InteractiveColorization(256))
