"""eccv16 and siggraph17 against the published networks: parameter counts, and the same outputs
for the same weights. The published layer layouts (module names and order, as the released
weights name them) are written out below from the papers' released models; the networks here
load such a state dict through a small name map."""

from __future__ import annotations

import math

import pytest
import torch
from helpers import renamed_state
from torch import nn
from torch.nn import functional as F

from colorization.losses.ab_bins import published_bins
from colorization.losses.ab_classification import AnnealedMeanDecoder
from colorization.models import ECCV16, SIGGRAPH17
from colorization.models.eccv16 import BINS
from colorization.models.zoo import count_parameters


def convs(widths: list[int], dilation: int = 1, strides: tuple[int, ...] = ()) -> list[nn.Module]:
    """3x3 convolution + ReLU for each pair of widths (the last one at stride ``strides``)."""
    layers: list[nn.Module] = []
    for index, (a, b) in enumerate(zip(widths, widths[1:], strict=False)):
        stride = strides[index] if index < len(strides) else 1
        layers += [nn.Conv2d(a, b, 3, stride, dilation, dilation), nn.ReLU()]
    return layers


def published_eccv16() -> nn.ModuleDict:
    """model1..model8 and model_out of the released eccv16 weights."""
    return nn.ModuleDict(
        {
            "model1": nn.Sequential(*convs([1, 64, 64], strides=(1, 2)), nn.BatchNorm2d(64)),
            "model2": nn.Sequential(*convs([64, 128, 128], strides=(1, 2)), nn.BatchNorm2d(128)),
            "model3": nn.Sequential(
                *convs([128, 256, 256, 256], strides=(1, 1, 2)), nn.BatchNorm2d(256)
            ),
            "model4": nn.Sequential(*convs([256, 512, 512, 512]), nn.BatchNorm2d(512)),
            "model5": nn.Sequential(*convs([512] * 4, dilation=2), nn.BatchNorm2d(512)),
            "model6": nn.Sequential(*convs([512] * 4, dilation=2), nn.BatchNorm2d(512)),
            "model7": nn.Sequential(*convs([512] * 4), nn.BatchNorm2d(512)),
            "model8": nn.Sequential(
                nn.ConvTranspose2d(512, 256, 4, 2, 1),
                nn.ReLU(),
                *convs([256, 256, 256]),
                nn.Conv2d(256, 313, 1),
            ),
            "model_out": nn.Conv2d(313, 2, 1, bias=False),
        }
    )


def run_published_eccv16(net: nn.ModuleDict, x: torch.Tensor) -> torch.Tensor:
    for name in [f"model{i}" for i in range(1, 9)]:
        x = net[name](x)
    x = net["model_out"](x.softmax(dim=1))
    return F.interpolate(x, scale_factor=4, mode="bilinear", align_corners=False)


def published_siggraph17(classes: int = 529) -> nn.ModuleDict:
    """The released siggraph17 module's layers, by name."""
    return nn.ModuleDict(
        {
            "model1": nn.Sequential(*convs([4, 64, 64]), nn.BatchNorm2d(64)),
            "model2": nn.Sequential(*convs([64, 128, 128]), nn.BatchNorm2d(128)),
            "model3": nn.Sequential(*convs([128, 256, 256, 256]), nn.BatchNorm2d(256)),
            "model4": nn.Sequential(*convs([256, 512, 512, 512]), nn.BatchNorm2d(512)),
            "model5": nn.Sequential(*convs([512] * 4, dilation=2), nn.BatchNorm2d(512)),
            "model6": nn.Sequential(*convs([512] * 4, dilation=2), nn.BatchNorm2d(512)),
            "model7": nn.Sequential(*convs([512] * 4), nn.BatchNorm2d(512)),
            "model8up": nn.ConvTranspose2d(512, 256, 4, 2, 1),
            "model3short8": nn.Conv2d(256, 256, 3, 1, 1),
            "model8": nn.Sequential(nn.ReLU(), *convs([256, 256, 256]), nn.BatchNorm2d(256)),
            "model9up": nn.ConvTranspose2d(256, 128, 4, 2, 1),
            "model2short9": nn.Conv2d(128, 128, 3, 1, 1),
            "model9": nn.Sequential(nn.ReLU(), *convs([128, 128]), nn.BatchNorm2d(128)),
            "model10up": nn.ConvTranspose2d(128, 128, 4, 2, 1),
            "model1short10": nn.Conv2d(64, 128, 3, 1, 1),
            "model10": nn.Sequential(nn.ReLU(), nn.Conv2d(128, 128, 3, 1, 1), nn.LeakyReLU(0.2)),
            "model_class": nn.Conv2d(256, classes, 1),
            "model_out": nn.Sequential(nn.Conv2d(128, 2, 1), nn.Tanh()),
        }
    )


def run_published_siggraph17(net: nn.ModuleDict, x: torch.Tensor) -> torch.Tensor:
    conv1 = net["model1"](x)
    conv2 = net["model2"](conv1[:, :, ::2, ::2])
    conv3 = net["model3"](conv2[:, :, ::2, ::2])
    x = net["model4"](conv3[:, :, ::2, ::2])
    for name in ("model5", "model6", "model7"):
        x = net[name](x)
    conv8 = net["model8"](net["model8up"](x) + net["model3short8"](conv3))
    conv9 = net["model9"](net["model9up"](conv8) + net["model2short9"](conv2))
    conv10 = net["model10"](net["model10up"](conv9) + net["model1short10"](conv1))
    return net["model_out"](conv10)


# Published name -> name here (the layer order inside each block is the same).
ECCV16_NAMES = [
    (r"^model(\d)\.", lambda m: f"blocks.{int(m.group(1)) - 1}."),
    (r"^model_out", "decode"),
]
SIGGRAPH17_NAMES = [
    (r"^model([1-7])\.", lambda m: f"encoder.{int(m.group(1)) - 1}."),
    (r"^model(8|9|10)up\.", lambda m: f"ups.{int(m.group(1)) - 8}."),
    (r"^model(\d)short(\d+)\.", lambda m: f"shortcuts.{int(m.group(2)) - 8}."),
    (r"^model(8|9|10)\.", lambda m: f"decoders.{int(m.group(1)) - 8}."),
    (r"^model_class\.", "side_head."),
    (r"^model_out\.", "head."),
]


def randomise_norms(module: nn.Module) -> None:
    """BatchNorm statistics and affine parameters away from 0/1, so that a mismatched layer
    shows in the output."""
    generator = torch.Generator().manual_seed(0)
    for layer in module.modules():
        if isinstance(layer, nn.BatchNorm2d):
            for tensor in (layer.weight, layer.bias, layer.running_mean):
                tensor.data.copy_(torch.randn(tensor.shape, generator=generator) * 0.1)
            layer.running_var.data.copy_(torch.rand(layer.running_var.shape, generator=generator))
            layer.running_var.data.add_(0.5)


def test_eccv16_has_the_published_parameter_count() -> None:
    assert count_parameters(ECCV16(1, 2, base_width=64)) == 32_236_011
    assert count_parameters(published_eccv16()) == 32_236_011


def test_siggraph17_has_the_published_parameter_counts() -> None:
    assert count_parameters(SIGGRAPH17(4, 2, base_width=64)) == 34_051_074
    assert count_parameters(SIGGRAPH17(4, 2, base_width=64, side_classes=529)) == 34_187_027
    assert count_parameters(published_siggraph17()) == 34_187_027


def test_eccv16_computes_what_the_published_network_computes() -> None:
    torch.manual_seed(0)
    published = published_eccv16()
    randomise_norms(published)
    ours = ECCV16(1, 2, base_width=64)
    ours.load_state_dict(renamed_state(published.state_dict(), ECCV16_NAMES))
    x = torch.randn(1, 1, 48, 56)
    with torch.no_grad():
        expected = run_published_eccv16(published.eval(), x)
        torch.testing.assert_close(ours.eval()(x), expected, rtol=1e-4, atol=1e-5)


def test_siggraph17_computes_what_the_published_network_computes() -> None:
    torch.manual_seed(0)
    published = published_siggraph17()
    randomise_norms(published)
    ours = SIGGRAPH17(4, 2, base_width=64, side_classes=529)
    ours.load_state_dict(renamed_state(published.state_dict(), SIGGRAPH17_NAMES))
    x = torch.randn(1, 4, 48, 56)
    with torch.no_grad():
        expected = run_published_siggraph17(published.eval(), x)
        torch.testing.assert_close(ours.eval()(x), expected, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("size", [(1, 1), (37, 53)])
def test_the_side_head_scores_a_quarter_resolution(size: tuple[int, int]) -> None:
    net = SIGGRAPH17(4, 2, base_width=4, side_classes=529)
    logits = net.side_logits(torch.randn(2, 4, *size))
    padded = [-(-side // 8) * 8 for side in size]
    assert logits.shape == (2, 529, padded[0] // 4, padded[1] // 4)
    with pytest.raises(ValueError, match="side_classes"):
        SIGGRAPH17(4, 2, base_width=4).side_logits(torch.randn(1, 4, 8, 8))


# --- with loss=ab_classification: the bin scores are the output -------------------------------
@pytest.mark.parametrize("size", [(1, 1), (37, 53)])
def test_eccv16_with_one_output_per_bin_gives_the_scores_at_a_quarter_resolution(size) -> None:
    net = ECCV16(1, BINS, base_width=4)
    assert net.decode is None and len(published_bins()) == BINS
    assert net(torch.randn(2, 1, *size)).shape == (2, BINS, -(-size[0] // 4), -(-size[1] // 4))


def test_eccv16_decoding_with_the_bin_centres_is_the_annealed_mean_at_t_1() -> None:
    """The published decoding layer holds the bins' ab: the distribution's mean, which is what
    the loss's decoder computes at temperature 1."""
    torch.manual_seed(0)
    to_ab = ECCV16(1, 2, base_width=4).eval()
    to_ab.decode.weight.data.copy_((published_bins() / 110).T.reshape(2, BINS, 1, 1))
    to_scores = ECCV16(1, BINS, base_width=4).eval()
    weights = {k: v for k, v in to_ab.state_dict().items() if not k.startswith("decode")}
    to_scores.load_state_dict(weights)
    x = torch.randn(1, 1, 32, 40)
    decoder = AnnealedMeanDecoder(published_bins(), temperature=1.0)
    with torch.no_grad():
        torch.testing.assert_close(to_ab(x), decoder(to_scores(x), (32, 40), stride=4))


def test_siggraph17_bounds_ab_by_tanh_but_leaves_bin_scores_unbounded() -> None:
    for outputs, bounded in [(2, True), (BINS, False)]:
        net = SIGGRAPH17(4, outputs, base_width=4).eval()
        nn.init.constant_(net.head[0].bias, 5.0)
        nn.init.zeros_(net.head[0].weight)
        peak = net(torch.randn(1, 4, 16, 16)).abs().max().item()
        assert peak == pytest.approx(math.tanh(5.0) if bounded else 5.0, rel=1e-6)
