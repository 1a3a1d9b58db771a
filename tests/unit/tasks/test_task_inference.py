"""Colorize, segment and restore photos of any size around a network (stand-ins here)."""

from __future__ import annotations

import pytest
import torch
from helpers import photo

from colorization.data.colorization.lab import rgb_to_normalized_lab
from colorization.inference.restore import Restorer
from colorization.inference.spec import InferenceSpec
from colorization.tasks.colorization.hint_files import HintPoint, rasterize
from colorization.tasks.colorization.inference import Colorizer, working_shape
from colorization.tasks.segmentation.inference import Segmenter

COLORIZATION = InferenceSpec("colorization", 4, 2, settings={"working_size": 32})


class StandIn:
    """A network: ``fn`` applied to the inputs, which are recorded."""

    def __init__(self, spec: InferenceSpec, fn) -> None:
        self.spec, self.fn, self.seen = spec, fn, []

    def __call__(self, inputs: torch.Tensor) -> torch.Tensor:
        self.seen.append(inputs)
        return self.fn(inputs)


def hint_echo() -> StandIn:
    """Predicts each pixel's hint ab (0 where there is none)."""
    return StandIn(COLORIZATION, lambda inputs: inputs[:, 1:3])


def test_working_shape_keeps_the_aspect_ratio_and_never_enlarges_the_photo() -> None:
    assert working_shape(300, 451, 256) == (256, 385)
    assert working_shape(37, 53, 32) == (32, 46)
    assert working_shape(1, 1000, 4) == (1, 1000)  # never larger than the photo
    assert working_shape(100, 120, 256) == (100, 120)


@pytest.mark.parametrize("size", [(37, 53), (64, 31), (5, 7)])
def test_colorized_photos_keep_their_full_size_and_the_network_sees_at_most_the_working_size(
    size: tuple[int, int],
) -> None:
    network = hint_echo()
    colorizer = Colorizer(network)
    prepared = colorizer.prepare(photo(*size))
    result = colorizer.colorize(prepared, colorizer.no_hints(prepared))
    assert result.shape == (3, *size) and result.dtype == torch.uint8
    # 32 px on the shorter side, or the photo's own size when it is smaller
    assert min(network.seen[0].shape[-2:]) == min(32, *size) and network.seen[0].shape[1] == 4
    # no hints, a network echoing them: no colour, the photo's own lightness
    assert (result.int().amax(0) - result.int().amin(0)).max() <= 2


def test_a_hint_colours_the_pixels_around_it_and_the_rest_stays_grey() -> None:
    colorizer = Colorizer(hint_echo())
    image = torch.full((3, 96, 128), 128, dtype=torch.uint8)
    prepared = colorizer.prepare(image)
    hints = colorizer.user_hints(prepared, rasterize([HintPoint(100, 20, (0, 0, 255), 3)], 96, 128))
    assert hints.count >= 1
    result = colorizer.colorize(prepared, hints).int()
    assert result[2, 20, 100] > result[0, 20, 100] + 40  # blue where the hint is
    assert (result[:, 80, 10].amax() - result[:, 80, 10].amin()) <= 2  # grey far from it


def test_one_pixel_hint_on_a_large_photo_reaches_the_working_grid_with_its_colour() -> None:
    colorizer = Colorizer(hint_echo())
    prepared = colorizer.prepare(photo(400, 300))
    hints = colorizer.user_hints(
        prepared, rasterize([HintPoint(299, 399, (255, 0, 0), 0)], 400, 300)
    )
    assert hints.count == 1 and hints.mask[0, 0, -1, -1] == 1
    _, red = rgb_to_normalized_lab(torch.tensor([1.0, 0.0, 0.0])[None, :, None, None])
    assert torch.allclose(hints.ab[0, :, -1, -1], red[0, :, 0, 0], atol=1e-5)


def test_a_refining_network_gets_levins_propagation_of_the_working_hints() -> None:
    from colorization.data.colorization.baselines import levin

    spec = InferenceSpec(
        "colorization", 6, 2, settings={"working_size": 32, "propagation": "levin"}
    )
    network = StandIn(spec, lambda inputs: inputs[:, 4:])
    colorizer = Colorizer(network)
    prepared = colorizer.prepare(photo(40, 56))
    hints = colorizer.user_hints(prepared, rasterize([HintPoint(5, 5, (0, 0, 255), 2)], 40, 56))
    colorizer.colorize(prepared, hints)
    (inputs,) = network.seen
    assert inputs.shape[1] == 6
    expected = levin(prepared.working_lightness, hints.ab, hints.mask)
    assert torch.allclose(inputs[:, 4:], expected) and expected.abs().amax() > 0
    newer = InferenceSpec("colorization", 6, 2, settings={"propagation": "superpixels"})
    with pytest.raises(ValueError, match="'superpixels' propagation.*upgrade colorization"):
        Colorizer(StandIn(newer, lambda inputs: inputs[:, 4:]))


def test_hints_sampled_from_the_colour_original_follow_the_ratio_or_the_points() -> None:
    colorizer = Colorizer(hint_echo())
    original = photo(37, 53)
    prepared = colorizer.prepare(original)
    pixels = prepared.working_size[0] * prepared.working_size[1]
    by_ratio = colorizer.sampled_hints(prepared, original, ratio=0.05, seed=3)
    assert by_ratio.count == round(0.05 * pixels)
    again = colorizer.sampled_hints(prepared, original, ratio=0.05, seed=3)
    assert torch.equal(by_ratio.mask, again.mask)
    assert colorizer.sampled_hints(prepared, original, points=0).count == 0
    assert colorizer.sampled_hints(prepared, original, points=3).count >= 1
    with pytest.raises(ValueError, match="colour original is 40 x 37 but the photo is 53 x 37"):
        colorizer.sampled_hints(prepared, photo(37, 40))


def test_the_overlay_shows_the_hints_on_the_dimmed_photo() -> None:
    colorizer = Colorizer(hint_echo())
    prepared = colorizer.prepare(torch.full((3, 30, 40), 200, dtype=torch.uint8))
    hints = colorizer.user_hints(prepared, rasterize([HintPoint(5, 5, (0, 200, 0), 2)], 30, 40))
    overlay = colorizer.overlay(prepared, hints).int()
    assert overlay.shape == (3, 30, 40)
    assert overlay[1, 5, 5] > overlay[0, 5, 5] + 40  # green hint
    assert overlay[0, 25, 35] < 200  # dimmed photo elsewhere


def test_each_task_refuses_a_network_of_another_task() -> None:
    segmentation = StandIn(
        InferenceSpec("segmentation", 3, 1, settings={"working_size": 16}), lambda x: x
    )
    with pytest.raises(ValueError, match="segmentation model, not a colorization one"):
        Colorizer(segmentation)
    with pytest.raises(ValueError, match="colorization model, not a segmentation one"):
        Segmenter(hint_echo())
    with pytest.raises(ValueError, match="colorization model.s spec has no tile size"):
        Restorer(hint_echo())


@pytest.mark.parametrize("classes", [2, 3])
def test_segmentation_labels_come_back_at_full_resolution(classes: int) -> None:
    """Binary: one logit, foreground where > 0; multiclass: argmax. The stand-in's logits
    follow the red channel, so a red square is found where it is."""
    channels = 1 if classes == 2 else classes

    def logits(inputs: torch.Tensor) -> torch.Tensor:
        red = inputs[:, :1]
        return (
            red.repeat(1, channels, 1, 1) * torch.arange(channels).view(1, -1, 1, 1)
            if channels > 1
            else red
        )

    spec = InferenceSpec(
        "segmentation", 3, channels, settings={"working_size": 16, "num_classes": classes}
    )
    segmenter = Segmenter(StandIn(spec, logits))
    image = torch.zeros(3, 41, 57, dtype=torch.uint8)
    image[0, 10:30, 20:40] = 255
    labels = segmenter.labels(image)
    assert labels.shape == (41, 57) and labels.dtype == torch.uint8
    assert labels[20, 30] == classes - 1 and labels[2, 2] == 0
    overlay = segmenter.overlay(image, labels)
    assert overlay.shape == (3, 41, 57) and overlay.dtype == torch.uint8


def test_restoring_with_an_identity_network_gives_the_photo_back_at_any_size() -> None:
    spec = InferenceSpec("flare", 3, 3, settings={"tile_size": 16, "tile_overlap": 4})
    image = photo(37, 53)
    assert torch.equal(Restorer(StandIn(spec, lambda x: x))(image), image)
    network = StandIn(spec, lambda x: x)
    Restorer(network, tile_size=24, tile_overlap=0)(image)
    assert network.seen[0].shape[-2:] == (24, 24)


def test_an_automatic_colorizer_gets_lightness_only() -> None:
    """A network trained with task.in_channels=1 (task/hints=none) is given L alone; hints a
    user draws are left unused."""
    automatic = InferenceSpec("colorization", 1, 2, settings={"working_size": 32})
    network = StandIn(automatic, lambda inputs: torch.zeros_like(inputs).repeat(1, 2, 1, 1))
    colorizer = Colorizer(network)
    prepared = colorizer.prepare(photo(40, 48))
    hints = colorizer.sampled_hints(prepared, photo(40, 48), ratio=0.05)
    assert colorizer.colorize(prepared, hints).shape == (3, 40, 48)
    assert network.seen[0].shape[1] == 1


def test_super_resolving_runs_low_resolution_tiles_and_returns_the_photo_scaled() -> None:
    spec = InferenceSpec(
        "superres", 3, 3, settings={"tile_size": 16, "tile_overlap": 4, "scale": 3}
    )
    network = StandIn(spec, lambda x: torch.nn.functional.interpolate(x, scale_factor=3))
    image = photo(37, 53)
    result = Restorer(network)(image)
    assert result.shape == (3, 111, 159) and network.seen[0].shape[-2:] == (16, 16)
    assert torch.equal(result[:, ::3, ::3], image)  # nearest up-sampling, tiles blended exactly
