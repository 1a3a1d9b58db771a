"""RDN against the widely used implementation (yjn870/RDN-pytorch): parameter counts and the
same outputs for the same weights. Its layer layout (module names and order) is written out
below from that repository's model; ours loads such a state dict through a small name map."""

from __future__ import annotations

import pytest
import torch
from helpers import renamed_state
from torch import nn

from colorization.models.rdn import RDN
from colorization.models.zoo import count_parameters


class ReferenceRDB(nn.Module):
    def __init__(self, width: int, layers: int) -> None:
        super().__init__()
        self.layers = nn.Sequential(
            *(nn.Conv2d(width * (1 + i), width, 3, padding=1) for i in range(layers))
        )
        self.lff = nn.Conv2d(width * (1 + layers), width, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        features = x
        for conv in self.layers:
            features = torch.cat([features, torch.relu(conv(features))], dim=1)
        return x + self.lff(features)


class ReferenceRDN(nn.Module):
    """yjn870's RDN: sfe1, sfe2, rdbs, gff, upscale (sub-pixel, x4 as two x2), output."""

    def __init__(self, scale: int, channels: int, width: int, blocks: int, layers: int) -> None:
        super().__init__()
        self.sfe1 = nn.Conv2d(channels, width, 3, padding=1)
        self.sfe2 = nn.Conv2d(width, width, 3, padding=1)
        self.rdbs = nn.ModuleList(ReferenceRDB(width, layers) for _ in range(blocks))
        self.gff = nn.Sequential(
            nn.Conv2d(width * blocks, width, 1), nn.Conv2d(width, width, 3, padding=1)
        )
        steps = [2, 2] if scale == 4 else [scale]
        upscale: list[nn.Module] = []
        for step in steps:
            upscale += [nn.Conv2d(width, width * step**2, 3, padding=1), nn.PixelShuffle(step)]
        self.upscale = nn.Sequential(*upscale)
        self.output = nn.Conv2d(width, channels, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        first = self.sfe1(x)
        x, features = self.sfe2(first), []
        for block in self.rdbs:
            x = block(x)
            features.append(x)
        return self.output(self.upscale(self.gff(torch.cat(features, 1)) + first))


NAMES = [
    (r"^sfe1\.", "shallow1."),
    (r"^sfe2\.", "shallow2."),
    (r"^rdbs\.(\d+)\.layers\.(\d+)\.", lambda m: f"blocks.{m[1]}.layers.{m[2]}.conv."),
    (r"^rdbs\.(\d+)\.lff\.", lambda m: f"blocks.{m[1]}.fusion."),
    (r"^gff\.", "global_fusion."),
    (r"^upscale\.", "upsample."),
]


@pytest.mark.parametrize(("scale", "expected"), [(2, 22_123_395), (3, 22_308_035), (4, 22_271_107)])
def test_the_paper_preset_has_the_reference_parameter_count(scale: int, expected: int) -> None:
    assert count_parameters(ReferenceRDN(scale, 3, 64, 16, 8)) == expected
    assert count_parameters(RDN(3, 3, 64, "paper", scale=scale)) == expected


@pytest.mark.parametrize("scale", [2, 3, 4])
def test_rdn_computes_what_the_reference_computes(scale: int) -> None:
    torch.manual_seed(0)
    reference = ReferenceRDN(scale, 3, 8, 3, 2)
    ours = RDN(3, 3, 8, blocks=3, layers=2, scale=scale)
    ours.load_state_dict(renamed_state(reference.state_dict(), NAMES))
    x = torch.rand(2, 3, 11, 7)
    with torch.no_grad():
        torch.testing.assert_close(ours(x), reference(x))
    assert ours(x).shape == (2, 3, 11 * scale, 7 * scale)


def test_the_light_preset_and_every_upsampler_scale_any_size() -> None:
    light = RDN(3, 3, 64, "light", scale=2)
    assert (len(light.blocks), len(light.blocks[0].layers)) == (5, 4)
    for upsample in ("pixel_shuffle", "transpose", "nearest", "bilinear"):
        for scale in (2, 3, 4):
            net = RDN(3, 3, 4, "light", scale=scale, upsample=upsample)
            assert net(torch.rand(1, 3, 5, 9)).shape == (1, 3, 5 * scale, 9 * scale)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"preset": "huge"}, "model.preset"),
        ({"scale": 5}, "model.scale"),
        ({"scale": 2, "upsample": "cubic"}, "model.upsample"),
    ],
)
def test_bad_options_stop_with_the_key(options: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        RDN(3, 3, 4, **options)
