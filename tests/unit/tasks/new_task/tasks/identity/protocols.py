"""``evaluate --protocol identity-8bit``: the output as an 8-bit file, scored on 0-255."""

from __future__ import annotations

from typing import Any

import torch
from omegaconf import DictConfig
from torch.utils.data import Dataset

from colorization.tasks.published import (
    PublishedProtocol,
    RunTestImages,
    prediction,
    psnr_ssim_255,
    quantized,
)
from colorization.tasks.settings import Setting


class EightBit(PublishedProtocol):
    name = "identity-8bit"
    task = "identity"
    summary = "each whole test image; PSNR and SSIM of the 8-bit output against the 8-bit input"
    papers = "none: a test task of the framework"

    def test_set(self, config: DictConfig, run_test_images: RunTestImages) -> Dataset:
        return run_test_images()

    def score(
        self, task: Any, batch: dict[str, Any], setting: Setting
    ) -> tuple[torch.Tensor, dict[str, float]]:
        prepared, pred = prediction(task, batch)
        return prepared.target, psnr_ssim_255({"": quantized(pred)}, quantized(prepared.target))


PROTOCOLS = (EightBit(),)
