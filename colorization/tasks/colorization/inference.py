"""Colorize a photo of any size with a trained hint-based network.

The network runs at a working size (the photo's shorter side resized to the scale it was
validated at) and its ab is up-sampled bilinearly to the photo's full resolution, where it is
joined with the photo's own full-resolution L: the recipe of Zhang et al. 2017 ("Real-Time
User-Guided Image Colorization", which runs at 256 x 256). Chroma varies slowly, so little is
lost, the cost stays bounded whatever the photo's size, and the network sees objects at the scale
it learnt them. Tiling at full resolution would instead show it patches of texture without the
context it colours by.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torchvision.transforms.v2 import functional as TF

from colorization.data.colorization.baselines import BASELINES
from colorization.data.colorization.hints import GeometricPatchHints, RandomPixelHints
from colorization.data.colorization.lab import normalized_lab_to_rgb, rgb_to_normalized_lab
from colorization.inference.network import Network, checked_spec
from colorization.inference.working_size import chosen_working_size, to_uint8, working_shape
from colorization.tasks.colorization.hint_files import Hints
from colorization.tasks.colorization.inputs import network_inputs

OVERLAY_LIGHTNESS = 0.4  # normalised L (Lab L = 70) at which the hint overlay shows hint colours
OVERLAY_DIM = 0.6  # the grey photo behind the hints, darkened to make them stand out


@dataclass
class PreparedPhoto:
    """A photo's L at full and at working resolution, each (1, 1, h, w) normalised."""

    lightness: torch.Tensor
    working_lightness: torch.Tensor

    @property
    def size(self) -> tuple[int, int]:
        return tuple(self.lightness.shape[-2:])  # type: ignore[return-value]

    @property
    def working_size(self) -> tuple[int, int]:
        return tuple(self.working_lightness.shape[-2:])  # type: ignore[return-value]


@dataclass
class WorkingHints:
    """Hints as the network takes them: ab (1, 2, h, w) normalised, 0 off hints; mask 0/1."""

    ab: torch.Tensor
    mask: torch.Tensor

    @property
    def count(self) -> int:
        return int(self.mask.sum())


class Colorizer:
    """``network`` maps (N, 4, h, w) [L, hint a, hint b, mask] to (N, 2, h, w) ab; a network
    that refines a propagation (the spec's ``propagation``) gets that propagation's ab as
    channels 5-6, computed here at the working size; an automatic one (``spec.in_channels`` 1)
    gets L only (hints given to it are left unused)."""

    def __init__(self, network: Network, working_size: int | None = None) -> None:
        spec = checked_spec(network, "colorization")
        self.network = network
        self.working_size = chosen_working_size(working_size, spec)
        self.propagation = spec.setting("propagation")
        self.lightness_only = spec.in_channels == 1
        if self.propagation is not None and self.propagation not in BASELINES:
            raise ValueError(
                f"This model refines a {self.propagation!r} propagation of the hints, which this "
                "version does not know: upgrade colorization."
            )

    def prepare(self, image: torch.Tensor) -> PreparedPhoto:
        """``image``: uint8 (3, H, W), colour or grey (its colour is discarded)."""
        height, width = image.shape[-2:]
        small = TF.resize(image, list(working_shape(height, width, self.working_size)))
        lightness, _ = rgb_to_normalized_lab(image[None].float() / 255)
        working, _ = rgb_to_normalized_lab(small[None].float() / 255)
        return PreparedPhoto(lightness, working)

    def no_hints(self, photo: PreparedPhoto) -> WorkingHints:
        return WorkingHints(
            torch.zeros(1, 2, *photo.working_size), torch.zeros(1, 1, *photo.working_size)
        )

    def user_hints(self, photo: PreparedPhoto, hints: Hints) -> WorkingHints:
        """Full-resolution hints averaged onto the working grid: a cell touched by any hinted
        pixel is a hint carrying the mean ab of the hinted pixels in it."""
        if hints.count == 0:
            return self.no_hints(photo)
        _, ab = rgb_to_normalized_lab(hints.rgb[None])
        mask = hints.mask[None].float()
        size = photo.working_size
        weight = F.interpolate(mask, size=size, mode="area")
        total = F.interpolate(ab * mask, size=size, mode="area")
        hinted = (weight > 1e-6).float()
        return WorkingHints(total / weight.clamp(min=1e-6) * hinted, hinted)

    def sampled_hints(
        self,
        photo: PreparedPhoto,
        reference: torch.Tensor,
        ratio: float | None = None,
        points: int | None = None,
        seed: int = 0,
    ) -> WorkingHints:
        """Hints sampled from a colour original (uint8 (3, H, W) of the photo's size) on the
        working grid, as validation samples them: ``ratio`` of the pixels as single-pixel hints,
        or ``points`` patches carrying their mean colour (Zhang et al. 2017's evaluation)."""
        if tuple(reference.shape[-2:]) != photo.size:
            raise ValueError(
                f"The colour original is {reference.shape[-1]} x {reference.shape[-2]} but the "
                f"photo is {photo.size[1]} x {photo.size[0]}: give the same photo in colour."
            )
        small = TF.resize(reference, list(photo.working_size))
        _, ab = rgb_to_normalized_lab(small[None].float() / 255)
        if points is not None:
            sampler = GeometricPatchHints(points=points, max_points=max(points, 1))
        else:
            sampler = RandomPixelHints(ratios=[0.01 if ratio is None else ratio])
        hint_ab, mask = sampler(ab, [torch.Generator().manual_seed(seed)])
        return WorkingHints(hint_ab, mask)

    def colorize(self, photo: PreparedPhoto, hints: WorkingHints) -> torch.Tensor:
        """The colour photo, uint8 (3, H, W) at the photo's full resolution."""
        inputs, _ = network_inputs(
            photo.working_lightness, hints.ab, hints.mask, self.lightness_only, self.propagation
        )
        ab = self.network(inputs).float()
        ab = F.interpolate(ab, size=photo.size, mode="bilinear", align_corners=False)
        return to_uint8(normalized_lab_to_rgb(photo.lightness, ab))[0]

    def grey(self, photo: PreparedPhoto) -> torch.Tensor:
        """The photo without colour (its L, ab = 0), float (1, 3, H, W) in [0, 1]."""
        return normalized_lab_to_rgb(photo.lightness, torch.zeros(1, 2, *photo.size))

    def overlay(self, photo: PreparedPhoto, hints: WorkingHints) -> torch.Tensor:
        """The hints the network got (its working grid, enlarged to full size) over the dimmed
        grey photo, uint8 (3, H, W); hint colours shown at one lightness."""
        grey = self.grey(photo)
        ab = F.interpolate(hints.ab, size=photo.size, mode="nearest")
        mask = F.interpolate(hints.mask, size=photo.size, mode="nearest")
        colors = normalized_lab_to_rgb(torch.full_like(photo.lightness, OVERLAY_LIGHTNESS), ab)
        return to_uint8(mask * colors + (1 - mask) * grey * OVERLAY_DIM)[0]
