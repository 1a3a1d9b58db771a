"""Segment a photo of any size with a trained network: the photo's shorter side is resized to the
scale the network was validated at, the logits are resized back bilinearly to full resolution
and turned into class indices there (the usual whole-image inference of segmentation
toolboxes); plus the class-colour overlay shared with the training previews."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

import torch
import torch.nn.functional as F
from torchvision.transforms.v2 import functional as TF
from torchvision.utils import draw_segmentation_masks

from colorization.inference.network import Network, checked_spec
from colorization.inference.working_size import chosen_working_size, working_shape
from colorization.tasks.plugin import Outputs, Predictor

# Overlay colours for classes 1.. (background is left as is); ignored pixels are grey.
PALETTE = ["#ff4040", "#40c040", "#4080ff", "#ffc000", "#c040ff", "#00c0c0", "#ff80c0", "#a0a000"]
IGNORED_COLOR = "#808080"


def labels_from_logits(logits: torch.Tensor) -> torch.Tensor:
    """(B, H, W) class indices: one binary logit (foreground where > 0), or argmax."""
    if logits.shape[1] == 1:
        return (logits[:, 0] > 0).long()
    return logits.argmax(dim=1)


def class_overlay(
    rgb: torch.Tensor, labels: torch.Tensor, num_classes: int, ignore_index: int | None = None
) -> torch.Tensor:
    """Class colours over float RGB images (B, 3, H, W), half transparent (torchvision's mask
    drawing); returns float (B, 3, H, W) in [0, 1] on ``rgb``'s device."""
    classes = list(range(1, num_classes))
    colors = [PALETTE[(c - 1) % len(PALETTE)] for c in classes]
    if ignore_index is not None:
        classes, colors = [*classes, ignore_index], [*colors, IGNORED_COLOR]
    images = []
    for image, label in zip((rgb * 255).round().byte().cpu(), labels.cpu(), strict=True):
        masks = torch.stack([label == c for c in classes])
        images.append(draw_segmentation_masks(image, masks, alpha=0.5, colors=colors))
    return torch.stack(images).float().div(255).to(rgb.device)


class Segmenter:
    """``network`` maps (N, 3, h, w) RGB in [-1, 1] to logits."""

    def __init__(self, network: Network, working_size: int | None = None) -> None:
        self.spec = checked_spec(network, "segmentation")
        self.network = network
        self.working_size = chosen_working_size(working_size, self.spec)

    def labels(self, image: torch.Tensor) -> torch.Tensor:
        """Class indices (H, W) uint8 for a uint8 RGB image (3, H, W)."""
        height, width = image.shape[-2:]
        small = TF.resize(image, list(working_shape(height, width, self.working_size)))
        logits = self.network(small[None].float() / 255 * 2 - 1).float()
        logits = F.interpolate(logits, size=(height, width), mode="bilinear", align_corners=False)
        return labels_from_logits(logits)[0].to(torch.uint8)

    def overlay(self, image: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """uint8 (3, H, W): the classes over the image."""
        rgb = image[None].float() / 255
        shown = class_overlay(rgb, labels[None].long(), self.spec.setting("num_classes", 2))
        return (shown[0] * 255).round().to(torch.uint8)


def segmentation_predictor(
    network: Network, args: argparse.Namespace, images: Sequence[Path]
) -> Predictor:
    """``python -m colorization.predict``: ``<name>.png`` with the class index of each pixel,
    and ``<name>_overlay.png``, the classes over the photo."""
    segmenter = Segmenter(network, args.working_size)

    def predict(path: Path, image: torch.Tensor) -> Outputs:
        labels = segmenter.labels(image)
        return {"": labels[None], "_overlay": segmenter.overlay(image, labels)}

    return predict
