import pytest
import torch

from colorization.models import UNet


def count_parameters(model: torch.nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def test_unet_reference_parameter_count() -> None:
    # LeeJunHyun/Image_Segmentation U_Net, 3 -> 1 channels.
    assert count_parameters(UNet(3, 1, base_width=64, depth=4, upsample="nearest")) == 34_527_041


@pytest.mark.parametrize("size", [(32, 32), (37, 53), (1, 1), (17, 64)])
@pytest.mark.parametrize("upsample", ["nearest", "bilinear", "transpose"])
def test_unet_output_matches_any_input_size(size: tuple[int, int], upsample: str) -> None:
    model = UNet(4, 2, base_width=4, depth=3, upsample=upsample)
    out = model(torch.randn(2, 4, *size))
    assert out.shape == (2, 2, *size)


@pytest.mark.parametrize("norm", ["batch", "instance", "group", "none"])
def test_unet_gradients_reach_first_layer(norm: str) -> None:
    model = UNet(4, 2, base_width=4, depth=2, norm=norm, dropout=0.1)
    model(torch.randn(2, 4, 20, 20)).square().mean().backward()
    first = model.encoders[0][0][0]
    assert isinstance(first, torch.nn.Conv2d)
    assert first.weight.grad is not None and first.weight.grad.abs().sum() > 0


def test_unet_eval_is_deterministic() -> None:
    model = UNet(4, 2, base_width=4, depth=2, dropout=0.5).eval()
    x = torch.randn(1, 4, 24, 24)
    assert torch.equal(model(x), model(x))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"depth": 0}, "depth"), ({"norm": "layer"}, "norm"), ({"upsample": "cubic"}, "upsample")],
)
def test_unet_rejects_bad_options(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        UNet(4, 2, base_width=4, **kwargs)
