"""The denoising page (``python -m colorization.app``): noise of a chosen level added to a clean
photo (seeded: the same noise on every update), the noisy and the denoised photo compared with
the clean one in PSNR; or the upload taken as the noisy photo."""

from __future__ import annotations

import argparse
from collections.abc import Mapping

import torch

from colorization.data.denoising.noise import noisy_images
from colorization.inference.network import Network
from colorization.inference.working_size import to_uint8
from colorization.tasks.page import PageLayout, PageOption, PageResult
from colorization.tasks.restore_page import RestoreService, page_restorer, psnr_db

NOISE_SEED = 0
AS_NOISY = "noisy"
NOISE = PageOption(
    "noise",
    "Noise",
    (
        ("15", "add noise, sigma 15"),
        ("25", "add noise, sigma 25"),
        ("50", "add noise, sigma 50"),
        (AS_NOISY, "none: the photo is noisy"),
    ),
    default="25",
)


class DenoiseService(RestoreService):
    def apply(
        self,
        kept: torch.Tensor,
        height: int,
        width: int,
        points: list[dict],
        options: Mapping[str, str],
    ) -> PageResult:
        clean = kept[None].float() / 255
        if options["noise"] == AS_NOISY:
            return PageResult(after=self.restore(clean))
        sigma = float(options["noise"])
        noisy = noisy_images(clean, (sigma, sigma), seeds=[NOISE_SEED])
        shown = to_uint8(noisy)[0]
        denoised = self.restore(noisy)
        return PageResult(
            after=denoised,
            shown=shown,
            note=(
                f"PSNR against the clean photo: noisy {psnr_db(shown, kept):.2f} dB, denoised "
                f"{psnr_db(denoised, kept):.2f} dB"
            ),
        )


def denoising_page(network: Network, args: argparse.Namespace) -> DenoiseService:
    layout = PageLayout(
        title="Denoise a photo",
        input_label="Noisy photo",
        output_label="Denoised",
        result_name="denoised",
        options=(NOISE,),
        facts=("Gaussian noise on the 0-255 scale, as the papers give it",),
    )
    return DenoiseService(page_restorer(network, args), layout)
