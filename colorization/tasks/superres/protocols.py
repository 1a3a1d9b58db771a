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
    psnr_255,
    quantized,
    ssim_255,
)


def y_scores(image: torch.Tensor, truth: torch.Tensor, border: int) -> tuple[float, float]:
    """(PSNR, SSIM) on the 8-bit Y channel (BT.601) with ``border`` pixels shaved: the 0-255
    levels of each RGB image, their luma (not rounded), as BasicSR's ``calculate_psnr`` /
    ``calculate_ssim`` with ``test_y_channel`` and ``crop_border`` (SSIM: Gaussian window 11,
    sigma 1.5, constants for 0-255)."""
    image_y = shave(rgb_to_y(image / 255) * 255, border)
    truth_y = shave(rgb_to_y(truth / 255) * 255, border)
    return psnr_255(image_y, truth_y), ssim_255(image_y, truth_y)


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

    def settings(self, config: DictConfig) -> list[str]:
        return [f"x{int(config.task.scale)}"]

    def test_set(self, config: DictConfig, run_test_images: RunTestImages) -> Dataset:
        scale = int(config.task.scale)
        root = OmegaConf.select(config, "data.test_root", default=None)
        if root is not None:
            return benchmark_set(root, scale)
        images = run_test_images()
        first = images[0] if len(images) else {}  # type: ignore[arg-type]
        return images if "low" in first else MatlabDownsampled(images, scale)

    def score(
        self, task: Any, batch: dict[str, Any], setting: str
    ) -> tuple[torch.Tensor, dict[str, float]]:
        scale = int(task.hparams.scale)
        prepared, pred = prediction(task, batch)
        truth = quantized(prepared.target)
        bicubic = matlab_imresize(prepared.inputs, scale)
        scores = {}
        for name, image in (("", pred), ("_bicubic", bicubic)):
            psnr, ssim = y_scores(quantized(image), truth, scale)
            scores[f"psnr{name}"], scores[f"ssim{name}"] = psnr, ssim
        return prepared.target, scores

    def note(self, config: DictConfig) -> str:
        root = OmegaConf.select(config, "data.test_root", default=None)
        where = root or "the run's validation photos, whole"
        return f"{self.summary}; images: {where}"


PROTOCOLS = (SuperResolutionBenchmark(),)
