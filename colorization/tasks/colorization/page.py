"""The colorization page (``python -m colorization.app``) without the web layer: the photo shown
grey, colour hint points clicked or painted on it, the colorized photo (the same points
``predict --hints`` reads as JSON)."""

from __future__ import annotations

import argparse
from collections.abc import Mapping

import torch

from colorization.inference.network import Network
from colorization.inference.working_size import to_uint8
from colorization.tasks.colorization.hint_files import (
    HintPoint,
    check_inside,
    parse_points,
    points_json,
    rasterize,
)
from colorization.tasks.colorization.inference import Colorizer, PreparedPhoto
from colorization.tasks.page import (
    KEPT_BYTES,
    MAX_SIDE,
    Download,
    PageLayout,
    PageResult,
    PageService,
    text_data_url,
)


class ColorizeService(PageService):
    """Thread-safe: the web server calls it from a pool of threads."""

    def __init__(
        self, colorizer: Colorizer, max_side: int = MAX_SIDE, kept_bytes: int = KEPT_BYTES
    ) -> None:
        super().__init__(max_side, kept_bytes)
        self.colorizer = colorizer
        automatic = colorizer.lightness_only
        self.layout = PageLayout(
            title="Colorize a photo" + ("" if automatic else " with your hints"),
            input_label="The photo in grey" + ("" if automatic else " (click or paint hints)"),
            output_label="Colorized",
            result_name="colorized",
            hints=not automatic,
            facts=(f"working size {colorizer.working_size} px",),
        )

    def prepare(self, image: torch.Tensor) -> PreparedPhoto:
        return self.colorizer.prepare(image)

    def shown(self, kept: PreparedPhoto) -> torch.Tensor:
        return to_uint8(self.colorizer.grey(kept))[0]

    def apply(
        self,
        kept: PreparedPhoto,
        height: int,
        width: int,
        points: list[dict],
        options: Mapping[str, str],
    ) -> PageResult:
        hints = parse_points(points, "hints")
        check_inside(hints, height, width, "hints")
        hints_file = points_json(hints, height, width)
        return PageResult(
            after=self.colorize_points(kept, hints, height, width),
            downloads=[Download("Download hints", "hints.json", text_data_url(hints_file))],
            note=f"hints: {len(hints)}",
            extra={"hints": len(hints), "hints_file": hints_file},
        )

    def colorize(self, photo_id: str, points: list[dict]) -> dict:
        """Colorize a kept photo with hint points (``POST /api/colorize``, as 1.x did)."""
        return self.update(photo_id, points)

    def colorize_points(
        self, photo: PreparedPhoto, hints: list[HintPoint], height: int, width: int
    ) -> torch.Tensor:
        dense = rasterize(hints, height, width)
        working = self.colorizer.user_hints(photo, dense)
        return self.colorizer.colorize(photo, working)


def colorization_page(network: Network, args: argparse.Namespace) -> ColorizeService:
    """The page's service for a colorization network."""
    return ColorizeService(Colorizer(network, args.working_size))
