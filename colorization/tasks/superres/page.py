"""The super-resolution page (``python -m colorization.app``): the photo shrunk by the model's
scale and enlarged back (compared with the original and with bicubic enlarging, in PSNR), or the
photo enlarged as it is; the slider compares the model with bicubic enlarging."""

from __future__ import annotations

import argparse
from collections.abc import Mapping

import torch

from colorization.data.superres.degradation import (
    bicubic_downsample,
    bicubic_upsample,
    crop_to_multiple,
)
from colorization.inference.network import Network
from colorization.inference.working_size import to_uint8
from colorization.tasks.page import PageLayout, PageOption, PageResult
from colorization.tasks.restore_page import RestoreService, page_restorer, psnr_db

SHRUNK, AS_IS = "shrunk", "as_is"


class EnlargeService(RestoreService):
    def apply(
        self,
        kept: torch.Tensor,
        height: int,
        width: int,
        points: list[dict],
        options: Mapping[str, str],
    ) -> PageResult:
        scale = self.scale
        if options["input"] == AS_IS:
            small, original = kept[None].float() / 255, None
        else:
            original = crop_to_multiple(kept, scale)
            if min(original.shape[-2:]) < scale:
                raise ValueError(f"The photo is too small to shrink {scale} times.")
            small = bicubic_downsample(original[None].float() / 255, scale)
        enlarged = self.restore(small)
        bicubic = to_uint8(bicubic_upsample(small, scale))[0]
        note = (
            f"{small.shape[-1]} x {small.shape[-2]} -> {enlarged.shape[-1]} x {enlarged.shape[-2]}"
        )
        if original is not None:
            note += (
                f"; PSNR (RGB) against the original: bicubic {psnr_db(bicubic, original):.2f} "
                f"dB, the model {psnr_db(enlarged, original):.2f} dB"
            )
        return PageResult(after=enlarged, before=bicubic, shown=to_uint8(small)[0], note=note)


def superres_page(network: Network, args: argparse.Namespace) -> EnlargeService:
    scale = int(network.spec.setting("scale", 1))
    choices = (
        (SHRUNK, f"the photo shrunk {scale} times (compare with the original)"),
        (AS_IS, f"the photo as it is ({scale} times larger)"),
    )
    layout = PageLayout(
        title=f"Enlarge a photo {scale} times",
        input_label="Small photo",
        output_label=f"Enlarged x{scale} (slider: bicubic | the model)",
        result_name=f"x{scale}",
        options=(PageOption("input", "Input", choices, SHRUNK),),
        facts=(f"scale {scale}",),
    )
    return EnlargeService(page_restorer(network, args), layout)
