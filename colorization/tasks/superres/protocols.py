"""``evaluate --protocol sr-benchmark``: super-resolution measured as the papers' tables are."""

from __future__ import annotations

from typing import Any

import torch
from omegaconf import DictConfig, OmegaConf
from torch.utils.data import Dataset

from colorization.data.superres.benchmark import MatlabDownsampled, benchmark_set
from colorization.data.superres.degradation import rgb_to_y, shave
from colorization.data.superres.matlab_resize import matlab_imresize
from colorization.tasks.published import (
    PublishedProtocol,
    RunTestImages,
    prediction,
    psnr_ssim_255,
    quantized,
)
from colorization.tasks.settings import Setting


def shaved_y(image: torch.Tensor, border: int) -> torch.Tensor:
    """The Y channel (BT.601, 0-255, not rounded) of an image's 0-255 levels with ``border``
    pixels shaved, as BasicSR's ``calculate_psnr`` / ``calculate_ssim`` with ``test_y_channel``
    and ``crop_border`` read it."""
    return shave(rgb_to_y(image / 255) * 255, border)


def y_scores(image: torch.Tensor, truth: torch.Tensor, border: int) -> tuple[float, float]:
    """(PSNR, SSIM) of the 8-bit ``image`` against ``truth`` on their shaved Y channels."""
    scores = psnr_ssim_255({"": shaved_y(image, border)}, shaved_y(truth, border))
    return scores["psnr"], scores["ssim"]


class SuperResolutionBenchmark(PublishedProtocol):
    name = "sr-benchmark"
    task = "superres"
    summary = (
        "LR = MATLAB imresize(HR, 1/s, 'bicubic') rounded to 8 bits (or the set's own "
        "LR_bicubic/X<s>), HR cropped to a multiple of s; PSNR and SSIM on the 8-bit output's Y "
        "(BT.601) with s pixels shaved; the MATLAB bicubic up-sampling scored alike"
    )
    papers = "SRCNN, EDSR, RDN, SwinIR; BasicSR's test scripts"
    anchors = "Set5 x2: bicubic 33.66 dB, RDN 38.24 dB (Y, shaved)"

    def settings(self, config: DictConfig) -> list[Setting]:
        scale = int(config.task.scale)
        return [Setting(scale, f"x{scale}", f"@x{scale}")]

    def test_set(self, config: DictConfig, run_test_images: RunTestImages) -> Dataset:
        scale = int(config.task.scale)
        root = OmegaConf.select(config, "data.test_root", default=None)
        if root is not None:
            return benchmark_set(root, scale)
        return MatlabDownsampled(run_test_images(), scale)  # paired data keeps its own LR

    def score(
        self, task: Any, batch: dict[str, Any], setting: Setting
    ) -> tuple[torch.Tensor, dict[str, float]]:
        scale = int(task.hparams.scale)
        prepared, pred = prediction(task, batch)
        bicubic = matlab_imresize(prepared.inputs, scale)
        images = {"": pred, "_bicubic": bicubic}
        images = {suffix: shaved_y(quantized(image), scale) for suffix, image in images.items()}
        truth = shaved_y(quantized(prepared.target), scale)
        return prepared.target, psnr_ssim_255(images, truth)

    def note(self, config: DictConfig) -> str:
        root = OmegaConf.select(config, "data.test_root", default=None)
        where = root or "the run's validation photos, whole"
        return f"{self.summary}; images: {where}"


PROTOCOLS = (SuperResolutionBenchmark(),)
