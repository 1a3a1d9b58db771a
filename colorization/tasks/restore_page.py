"""The page of a task whose network maps a photo to a photo (flare, denoising,
super-resolution): the photo through :class:`~colorization.inference.restore.Restorer`, in tiles
of at least :data:`~colorization.tasks.page.PAGE_TILE` output pixels."""

from __future__ import annotations

import argparse
from collections.abc import Mapping

import torch

from colorization.inference.network import Network
from colorization.inference.restore import Restorer
from colorization.inference.working_size import to_uint8
from colorization.metrics import image_psnr
from colorization.tasks.page import PAGE_TILE, PageLayout, PageResult, PageService


def psnr_db(image: torch.Tensor, reference: torch.Tensor) -> float:
    """PSNR (dB) of uint8 (3, H, W) images."""
    return float(image_psnr(image[None].float() / 255, reference[None].float() / 255))


class RestoreService(PageService):
    """The photo in, the network's photo out; subclasses add their options and comparisons."""

    def __init__(self, restorer: Restorer, layout: PageLayout | None = None, **kwargs: int) -> None:
        super().__init__(**kwargs)
        self.restorer = restorer
        self.scale = restorer.scale
        self.layout = layout or PageLayout(
            title=f"Restore a photo ({restorer.network.spec.task})",
            input_label="Photo",
            output_label="Restored",
            result_name="restored",
        )

    def restore(self, images: torch.Tensor) -> torch.Tensor:
        """float (1, 3, H, W) -> uint8 (3, scale H, scale W)."""
        return to_uint8(self.restorer.restore(images))[0]

    def apply(
        self,
        kept: torch.Tensor,
        height: int,
        width: int,
        points: list[dict],
        options: Mapping[str, str],
    ) -> PageResult:
        return PageResult(after=self.restore(kept[None].float() / 255))


def page_restorer(network: Network, args: argparse.Namespace) -> Restorer:
    """A restorer whose tiles hold a :data:`PAGE_TILE` px photo whole (or ``--tile-size``), so
    that a page-sized photo is one pass, not overlapping tiles."""
    tile = args.tile_size or max(int(network.spec.setting("tile_size", 0)), PAGE_TILE)
    return Restorer(network, tile, args.tile_overlap)


def restore_page(network: Network, args: argparse.Namespace) -> RestoreService:
    return RestoreService(page_restorer(network, args))
