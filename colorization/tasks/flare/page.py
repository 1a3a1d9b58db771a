"""The flare page (``python -m colorization.app``): a flared photo in, the clean photo out; the
built-in photos are offered with a synthetic flare added (:mod:`colorization.data.flare.synth`,
as the built-in data makes them)."""

from __future__ import annotations

import argparse

import torch

from colorization.data.flare.synth import add_flare
from colorization.inference.network import Network
from colorization.tasks.page import PageLayout
from colorization.tasks.restore_page import RestoreService, page_restorer

SAMPLE_SEED = 0  # the flare added to a built-in photo: the same on every load


class FlareService(RestoreService):
    def sample(self, image: torch.Tensor, name: str) -> torch.Tensor:
        return add_flare(image, torch.Generator().manual_seed(SAMPLE_SEED))


def flare_page(network: Network, args: argparse.Namespace) -> FlareService:
    layout = PageLayout(
        title="Remove lens flare from a photo",
        input_label="Flared photo",
        output_label="Flare removed",
        result_name="deflared",
        facts=("built-in photos get a synthetic flare",),
    )
    return FlareService(page_restorer(network, args), layout)
