"""``evaluate --protocol awgn-benchmark``: Gaussian denoising measured as the DnCNN tables are."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import torch
from omegaconf import DictConfig, OmegaConf
from torch.utils.data import Dataset

from colorization.tasks.published import (
    PublishedProtocol,
    RunTestImages,
    prediction,
    psnr_ssim_255,
    quantized,
)
from colorization.tasks.settings import Setting

SIGMAS = (15, 25, 50)


class GaussianDenoisingBenchmark(PublishedProtocol):
    name = "awgn-benchmark"
    task = "denoising"
    summary = (
        "each whole test image (BSD68 / Set12 grey, CBSD68 / Kodak24 / McMaster colour) plus "
        "white Gaussian noise at sigma 15, 25, 50 on the 0-255 scale, seeded per image, neither "
        "clipped nor rounded; PSNR and SSIM of the 8-bit output (the noisy input as psnr_noisy)"
    )
    papers = "DnCNN (Zhang et al. 2017), FFDNet, DRUNet; KAIR's test scripts"
    anchors = "CBSD68: CBM3D 33.52 / 30.71 / 27.38 dB, CDnCNN-B 33.89 / 31.23 / 27.92 dB"

    def settings(self, config: DictConfig) -> list[Setting]:
        return [Setting(s, f"sigma {s}", f"@sigma {s}") for s in SIGMAS]

    @contextlib.contextmanager
    def applied(self, task: Any, setting: Setting) -> Iterator[None]:
        trained_with = task.eval_sigma, task.hparams.clip
        task.eval_sigma, task.hparams.clip = float(setting.value), False
        try:
            yield
        finally:
            task.eval_sigma, task.hparams.clip = trained_with

    def test_set(self, config: DictConfig, run_test_images: RunTestImages) -> Dataset:
        return run_test_images()  # data.test_root's images whole, else the validation photos

    def score(
        self, task: Any, batch: dict[str, Any], setting: Setting
    ) -> tuple[torch.Tensor, dict[str, float]]:
        prepared, pred = prediction(task, batch)
        images = {"": quantized(pred), "_noisy": quantized(prepared.inputs)}
        return prepared.target, psnr_ssim_255(images, quantized(prepared.target))

    def note(self, config: DictConfig) -> str:
        seed = OmegaConf.select(config, "task.noise_seed", default=0)
        return f"{self.summary}; noise of test image i from seed {seed} + i"


PROTOCOLS = (GaussianDenoisingBenchmark(),)
