"""``evaluate --protocol flare7k``: flare removal measured as the Flare7K++ tables are."""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import torch
from omegaconf import DictConfig, OmegaConf
from torch.utils.data import Dataset

from colorization.data.flare.flare7k import Flare7kTestSet, region_masks
from colorization.metrics import MAX_DB
from colorization.tasks.published import (
    PublishedProtocol,
    RunTestImages,
    prediction,
    psnr_255,
    quantized,
)
from colorization.tasks.settings import Setting

REGIONS = {"glare": "g_psnr", "streak": "s_psnr", "global": "global_psnr"}


def region_psnr(image: torch.Tensor, truth: torch.Tensor, weight: torch.Tensor) -> float:
    """PSNR (0-255) inside a region of weights (H, W), as Flare7K's ``compare_score``: the
    weighted images' squared error over the region's area (NaN for an empty region)."""
    area = float(weight.sum())
    if area == 0:
        return math.nan
    error = float((((image.double() - truth.double()) * weight.double()) ** 2).sum())
    mse = error / (image.shape[-3] * area)
    return MAX_DB if mse == 0 else min(MAX_DB, 10 * math.log10(255.0**2 / mse))


def alexnet_weights() -> Path:
    """Where torchvision keeps AlexNet's ImageNet weights (LPIPS's backbone)."""
    from torchvision.models import AlexNet_Weights

    from colorization.models.pretrained import url_weights_file

    return url_weights_file(AlexNet_Weights.DEFAULT.url)


class Flare7kProtocol(PublishedProtocol):
    name = "flare7k"
    task = "flare"
    summary = (
        "the Flare7K++ test layout (input/, gt/, mask/), whole 512 px images; PSNR and SSIM "
        "(scikit-image's, on the 8-bit output), LPIPS (AlexNet), G-PSNR / S-PSNR / global PSNR "
        "inside the glare, streak and not-light-source masks, and their mean (score)"
    )
    papers = "Flare7K (Dai et al., NeurIPS 2022), Flare7K++ (TPAMI 2024), MIPI 2023 challenge"
    anchors = "Flare7K++ real test: input 22.56 dB, U-Net 27.19 dB, Uformer 27.63 dB PSNR"

    def __init__(self) -> None:
        self._lpips: Any = None
        self._measure_lpips = False

    @contextlib.contextmanager
    def applied(self, task: Any, setting: Setting) -> Iterator[None]:
        """Whether LPIPS is measured, looked up once for the run (its weights on disk)."""
        self._measure_lpips = not self.skipped()
        yield

    def skipped(self) -> dict[str, str]:
        weights = alexnet_weights()
        if weights.is_file():
            return {}
        return {
            "lpips": f"AlexNet's weights are not in {weights.parent} and cannot be "
            f"downloaded here: put {weights.name} there to measure it"
        }

    def test_set(self, config: DictConfig, run_test_images: RunTestImages) -> Dataset:
        root = OmegaConf.select(config, "data.test_root", default=None)
        return run_test_images() if root is None else Flare7kTestSet(root)

    def lpips(self, image: torch.Tensor, truth: torch.Tensor) -> float:
        """LPIPS-Alex as the Flare7K script calls it: [0, 1] images given as they are."""
        if self._lpips is None:
            from torchmetrics.image import LearnedPerceptualImagePatchSimilarity

            self._lpips = LearnedPerceptualImagePatchSimilarity("alex").to(image.device)
        return float(self._lpips(image / 255, truth / 255))

    def score(
        self, task: Any, batch: dict[str, Any], setting: Setting
    ) -> tuple[torch.Tensor, dict[str, float]]:
        from skimage.metrics import structural_similarity

        prepared, pred = prediction(task, batch)
        image, truth = quantized(pred), quantized(prepared.target)
        as_numpy = [x[0].permute(1, 2, 0).cpu().numpy().astype(np.uint8) for x in (image, truth)]
        scores = {
            "psnr": psnr_255(image, truth),
            "ssim": float(structural_similarity(*as_numpy, channel_axis=2, data_range=255)),
        }
        if self._measure_lpips:
            scores["lpips"] = self.lpips(image, truth)
        if "mask" in batch:
            for region, weight in region_masks(batch["mask"][0]).items():
                scores[REGIONS[region]] = region_psnr(image[0], truth[0], weight)
        scores["psnr_input"] = psnr_255(quantized(prepared.inputs), truth)
        return prepared.target, scores

    def summarise(self, setting: Setting, images: list[dict[str, Any]]) -> dict[str, float]:
        """Means over the images (a region's over the images that have it); ``score``: the mean
        of G-PSNR, S-PSNR and global PSNR (the MIPI 2023 challenge's)."""
        means = super().summarise(setting, images)
        if all(name in means for name in REGIONS.values()):
            means["score"] = sum(means[name] for name in REGIONS.values()) / len(REGIONS)
        return means

    def note(self, config: DictConfig) -> str:
        root = OmegaConf.select(config, "data.test_root", default=None)
        where = root or "the run's validation pairs (no masks: no G-PSNR / S-PSNR)"
        return f"{self.summary}; images: {where}"


PROTOCOLS = (Flare7kProtocol(),)
