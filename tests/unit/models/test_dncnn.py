"""DnCNN against the authors' PyTorch model (cszn/DnCNN, TrainingCodes/dncnn_pytorch): parameter
counts, and the same outputs from the same weights (theirs subtracts the predicted noise inside
the network; here the denoising task does, so theirs is compared with ``x - ours(x)``)."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from colorization.models.dncnn import DnCNN
from colorization.models.zoo import REFERENCE_PRESETS, build_reference, count_parameters


class ReferenceDnCNN(nn.Module):
    """The authors' layout: conv + ReLU, (depth - 2) x (conv without bias, BatchNorm(eps 1e-4,
    momentum 0.95), ReLU), conv without bias; returns the input minus the stack's output."""

    def __init__(self, depth: int, channels: int, image_channels: int) -> None:
        super().__init__()
        layers: list[nn.Module] = [nn.Conv2d(image_channels, channels, 3, padding=1), nn.ReLU()]
        for _ in range(depth - 2):
            layers += [
                nn.Conv2d(channels, channels, 3, padding=1, bias=False),
                nn.BatchNorm2d(channels, eps=0.0001, momentum=0.95),
                nn.ReLU(),
            ]
        layers.append(nn.Conv2d(channels, image_channels, 3, padding=1, bias=False))
        self.dncnn = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x - self.dncnn(x)


@pytest.mark.parametrize(("preset", "depth", "channels"), [("dncnn", 17, 1), ("cdncnn_b", 20, 3)])
def test_dncnn_has_the_reference_parameter_count(preset: str, depth: int, channels: int) -> None:
    expected = REFERENCE_PRESETS[preset][2]
    assert count_parameters(ReferenceDnCNN(depth, 64, channels)) == expected
    assert count_parameters(build_reference(preset)) == expected


@pytest.mark.parametrize("channels", [1, 3])
def test_dncnn_computes_what_the_reference_computes(channels: int) -> None:
    torch.manual_seed(0)
    reference = ReferenceDnCNN(depth=5, channels=8, image_channels=channels)
    for module in reference.modules():  # running statistics that are not the defaults
        if isinstance(module, nn.BatchNorm2d):
            module.running_mean.uniform_(-0.5, 0.5)
            module.running_var.uniform_(0.5, 2.0)
    ours = DnCNN(channels, channels, base_width=8, depth=5)
    ours.load_state_dict(
        {k.replace("dncnn.", "layers."): v for k, v in reference.state_dict().items()}
    )
    x = torch.rand(2, channels, 19, 23)
    for mode in (nn.Module.eval, nn.Module.train):
        mode(reference), mode(ours)
        torch.testing.assert_close(x - ours(x), reference(x))
    assert ours.layers[3].momentum == 0.95 and ours.layers[3].eps == 1e-4


def test_dncnn_keeps_the_size_and_takes_any_norm() -> None:
    for norm in ("batch", "instance", "group", "none"):
        out = DnCNN(3, 3, base_width=4, depth=4, norm=norm, init="kaiming")(torch.rand(1, 3, 13, 7))
        assert out.shape == (1, 3, 13, 7)
    assert DnCNN(1, 1, base_width=4, depth=2)(torch.rand(1, 1, 5, 5)).shape == (1, 1, 5, 5)
    with pytest.raises(ValueError, match="model.depth must be >= 2"):
        DnCNN(depth=1)


def test_orthogonal_init_gives_orthogonal_filters() -> None:
    net = DnCNN(1, 1, base_width=8, depth=3)
    weight = net.layers[2].weight.flatten(1)  # 8 x 72: orthonormal rows
    torch.testing.assert_close(weight @ weight.T, torch.eye(8), atol=1e-5, rtol=0)
