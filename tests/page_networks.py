"""Networks with a known answer for the page's tests, one per task: what the page shows is then
certain (a hint's colour near it, red regions segmented, noise smoothed, a photo enlarged)."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from colorization.inference.spec import InferenceSpec
from colorization.tasks.registry import task_plugin


class HintEcho:
    """Colours each pixel with its hint."""

    spec = InferenceSpec("colorization", 4, 2, "HintEcho", {"working_size": 48})

    def __call__(self, inputs: torch.Tensor) -> torch.Tensor:
        return inputs[:, 1:3]


class RedFinder:
    """Foreground where a pixel is redder than it is green."""

    spec = InferenceSpec(
        "segmentation",
        3,
        1,
        "RedFinder",
        {"working_size": 32, "num_classes": 2, "class_names": ["background", "red"]},
    )

    def __call__(self, inputs: torch.Tensor) -> torch.Tensor:
        return inputs[:, :1] - inputs[:, 1:2] - 0.1


class Identity:
    spec = InferenceSpec("flare", 3, 3, "Identity", {"tile_size": 64, "tile_overlap": 8})

    def __call__(self, inputs: torch.Tensor) -> torch.Tensor:
        return inputs


class MeanFilter:
    """Smooths noise away (a 5 x 5 mean)."""

    spec = InferenceSpec("denoising", 3, 3, "MeanFilter", {"tile_size": 64, "tile_overlap": 8})

    def __call__(self, inputs: torch.Tensor) -> torch.Tensor:
        return F.avg_pool2d(inputs, 5, 1, 2, count_include_pad=False)


class Nearest:
    """Enlarges twice, pixel by pixel."""

    spec = InferenceSpec(
        "superres", 3, 3, "Nearest", {"tile_size": 32, "tile_overlap": 4, "scale": 2}
    )

    def __call__(self, inputs: torch.Tensor) -> torch.Tensor:
        return F.interpolate(inputs, scale_factor=2, mode="nearest")


class Broken:
    """A network that fails on every photo (the page must say so and stay usable)."""

    def __init__(self, network) -> None:
        self.spec = network.spec

    def __call__(self, inputs: torch.Tensor) -> torch.Tensor:
        raise RuntimeError("out of memory (injected)")


NETWORKS = {
    network.spec.task: network
    for network in (HintEcho(), RedFinder(), Identity(), MeanFilter(), Nearest())
}


class PageArgs:
    """The app's parsed options, at their defaults."""

    working_size = tile_size = tile_overlap = None


def page_service(task: str, network=None, **settings):
    """The task's own page service around its known-answer network."""
    service = task_plugin(task).page(network or NETWORKS[task], PageArgs())
    for name, value in settings.items():
        setattr(service, name, value)
    return service
