"""The segmentation page (``python -m colorization.app``): the photo, its classes as a coloured
layer over it (the page's opacity slider and legend), the mask to download (one class index per
pixel, as ``predict`` writes it) and the overlay."""

from __future__ import annotations

import argparse
from collections.abc import Mapping

import torch
from PIL import ImageColor

from colorization.data.images import png_data_url
from colorization.data.segmentation.shapes import make_scene
from colorization.inference.network import Network
from colorization.tasks.page import Download, PageLayout, PageResult, PageService
from colorization.tasks.segmentation.inference import PALETTE, Segmenter

SAMPLE_SEED = 0  # the shapes drawn on a built-in photo: the same on every load


class SegmentService(PageService):
    def __init__(self, segmenter: Segmenter, **kwargs) -> None:
        super().__init__(**kwargs)
        self.segmenter = segmenter
        spec = segmenter.spec
        self.num_classes = int(spec.setting("num_classes", 2))
        names = spec.setting("class_names") or [
            "background",
            *(f"class {c}" for c in range(1, self.num_classes)),
        ]
        self.class_names = [str(name) for name in names]
        self.layout = PageLayout(
            title="Segment a photo",
            input_label="Photo",
            output_label="Classes over the photo",
            result_name="mask",
            facts=(f"{self.num_classes} classes", f"working size {segmenter.working_size} px"),
            legend=tuple((self.class_names[c], self.colour(c)) for c in range(1, self.num_classes)),
        )

    def colour(self, label: int) -> str:
        return PALETTE[(label - 1) % len(PALETTE)]

    def sample(self, image: torch.Tensor, name: str) -> torch.Tensor:
        """The photo with the built-in data's shapes on it (what a run on built-in data learnt);
        a model trained on other data shows what it makes of them."""
        generator = torch.Generator().manual_seed(SAMPLE_SEED)
        multiclass = self.num_classes > 2
        scene, _ = make_scene([image], min(image.shape[-2:]), generator, multiclass=multiclass)
        return scene

    def layer(self, labels: torch.Tensor) -> torch.Tensor:
        """RGBA uint8 (4, H, W): each class in its colour, the background transparent."""
        layer = torch.zeros(4, *labels.shape, dtype=torch.uint8)
        for label in range(1, self.num_classes):
            where = labels == label
            colour = self.colour(label)
            for channel, value in enumerate((*ImageColor.getrgb(colour), 255)):
                layer[channel][where] = value
        return layer

    def apply(
        self,
        kept: torch.Tensor,
        height: int,
        width: int,
        points: list[dict],
        options: Mapping[str, str],
    ) -> PageResult:
        labels = self.segmenter.labels(kept)
        overlay = self.segmenter.overlay(kept, labels)
        counts = torch.bincount(labels.flatten().long(), minlength=self.num_classes)
        shares = [
            f"{self.class_names[c]} {100 * counts[c].item() / labels.numel():.1f} %"
            for c in range(1, self.num_classes)
        ]
        return PageResult(
            after=kept,
            layer=self.layer(labels),
            result=Download("Download mask (class per pixel)", "mask", png_data_url(labels[None])),
            downloads=[Download("Download overlay", "overlay", png_data_url(overlay))],
            note="of the photo: " + ", ".join(shares),
        )


def segmentation_page(network: Network, args: argparse.Namespace) -> SegmentService:
    return SegmentService(Segmenter(network, args.working_size))
