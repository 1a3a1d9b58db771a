"""Every model of the zoo (every conf/model/*.yaml), plus the reference parameter counts."""

from __future__ import annotations

import pytest
import torch
from hydra.errors import InstantiationException

from colorization.models import PatchDiscriminator, R2UNet, UNet
from colorization.models.init import init_weights
from colorization.models.zoo import (
    REFERENCE_PRESETS,
    build_model,
    build_reference,
    count_parameters,
    model_aliases,
    model_names,
    wrapped_library,
)

MODELS = model_names()
# The networks written here share one set of options (upsample, norm, dropout, init); the ones
# wrapped from a library (smp) take those that library has (tests/unit/models/test_smp.py).
HAND_WRITTEN = [name for name in MODELS if wrapped_library(name) is None]

TINY = {"base_width": 4}


def tiny(name: str, **settings) -> dict:
    """TINY, with timm's tiny test encoder for a model that has an encoder."""
    encoder = {"encoder": "tu-test_resnet"} if wrapped_library(name) else {}
    return {**TINY, **encoder, **settings}


def test_the_zoo_is_complete() -> None:
    expected = {"unet", "res_unet", "attention_unet", "r2_unet", "r2_attention_unet"}
    assert expected | {"nested_unet", "nested_attention_unet", "cunet"} <= set(MODELS)


@pytest.mark.parametrize("name", MODELS)
def test_model_yaml_module_and_name_agree(name: str) -> None:
    """``model=<name>`` builds the class of ``colorization/models/<name>.py``."""
    assert type(build_model(name, **tiny(name))).__module__ == f"colorization.models.{name}"


def test_the_documented_short_names_are_aliases() -> None:
    old = {"att_unet": "attention_unet", "nested": "nested_unet"}
    old |= {"nested_attn": "nested_attention_unet"}
    assert model_aliases() == old
    for alias, name in old.items():
        assert type(build_model(alias, **TINY)) is type(build_model(name, **TINY))


@pytest.mark.parametrize("name", list(REFERENCE_PRESETS))
def test_reference_parameter_counts(name: str) -> None:
    _, _, expected = REFERENCE_PRESETS[name]
    assert count_parameters(build_reference(name)) == expected


def test_recurrent_steps_share_weights() -> None:
    counts = {t: count_parameters(R2UNet(3, 1, base_width=8, t=t)) for t in (1, 2, 3)}
    assert len(set(counts.values())) == 1


def test_patchgan_matches_pix2pix() -> None:
    discriminator = PatchDiscriminator(in_channels=6)
    assert count_parameters(discriminator) == 2_768_705  # pix2pix basic D, 3 + 3 channels
    assert discriminator(torch.randn(1, 6, 256, 256)).shape == (1, 1, 30, 30)  # 70x70 patches
    assert count_parameters(PatchDiscriminator(6, norm="instance")) > 2_768_705  # biases back


@pytest.mark.parametrize("name", MODELS)
@pytest.mark.parametrize("size", [(32, 32), (37, 53), (1, 1)])
def test_output_matches_any_input_size(name: str, size: tuple[int, int]) -> None:
    model = build_model(name, 4, 2, **tiny(name))
    assert model(torch.randn(2, 4, *size)).shape == (2, 2, *size)


@pytest.mark.parametrize("name", HAND_WRITTEN)
@pytest.mark.parametrize("upsample", ["nearest", "bilinear", "transpose"])
def test_every_upsample_mode(name: str, upsample: str) -> None:
    model = build_model(name, 3, 5, upsample=upsample, **TINY)
    assert model(torch.randn(1, 3, 20, 28)).shape == (1, 5, 20, 28)


@pytest.mark.parametrize("name", HAND_WRITTEN)
@pytest.mark.parametrize("norm", ["batch", "instance", "group", "none"])
def test_gradients_reach_the_first_layer(name: str, norm: str) -> None:
    torch.manual_seed(0)
    model = build_model(name, 4, 2, norm=norm, dropout=0.1, **TINY)
    model(torch.randn(2, 4, 24, 24)).square().mean().backward()
    first = next(model.parameters())
    assert first.dim() == 4 and first.shape[1] == 4  # the input convolution
    assert first.grad is not None and first.grad.abs().sum() > 0


@pytest.mark.parametrize("name", MODELS)
def test_eval_is_deterministic(name: str) -> None:
    dropout = {} if wrapped_library(name) else {"dropout": 0.5}
    model = build_model(name, 4, 2, **tiny(name, **dropout)).eval()
    x = torch.randn(2, 4, 24, 24)
    assert torch.equal(model(x), model(x))


@pytest.mark.parametrize("name", MODELS)
def test_one_training_step_lowers_the_loss(name: str) -> None:
    torch.manual_seed(0)
    model = build_model(name, 4, 2, **tiny(name, base_width=8))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    x, target = torch.randn(4, 4, 32, 32), torch.randn(4, 2, 32, 32)

    def loss() -> torch.Tensor:
        return (model(x) - target).abs().mean()

    before = loss()
    optimizer.zero_grad()
    before.backward()
    optimizer.step()
    assert loss().item() < before.item()


@pytest.mark.parametrize("name", ["nested_unet", "nested_attention_unet"])
def test_deep_supervision_trains_every_head_and_evaluates_one(name: str) -> None:
    # norm="none" and no dropout: train and eval mode compute the same heads.
    settings = {"base_width": 4, "depth": 3, "norm": "none", "deep_supervision": True}
    model = build_model(name, 3, 2, **settings)
    x = torch.randn(2, 3, 19, 21)
    heads = model(x)
    assert isinstance(heads, list) and len(heads) == 3
    assert all(h.shape == (2, 2, 19, 21) for h in heads)
    assert count_parameters(model) == count_parameters(
        build_model(name, 3, 2, **{**settings, "deep_supervision": False})
    ) + 2 * (4 * 2 + 2)  # two more 1x1 heads (4 -> 2 channels, with bias)

    model.eval()
    assert torch.allclose(model(x), heads[-1])
    averaged = build_model(name, 3, 2, **settings, eval_output="mean")
    averaged.load_state_dict(model.state_dict())
    assert torch.allclose(averaged.eval()(x), torch.stack(heads).mean(0), atol=1e-6)


@pytest.mark.parametrize("scheme", ["normal", "kaiming", "xavier"])
def test_init_schemes(scheme: str) -> None:
    model = UNet(4, 2, base_width=8, depth=2, init=scheme)
    conv = model.encoders[0][0][0]
    assert torch.count_nonzero(conv.bias) == 0
    if scheme == "normal":
        assert conv.weight.std().item() == pytest.approx(0.02, rel=0.2)
    with pytest.raises(ValueError, match="init"):
        init_weights(model, "uniform")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"depth": 0}, "depth"), ({"norm": "layer"}, "norm"), ({"upsample": "cubic"}, "upsample")],
)
def test_models_reject_bad_options(kwargs: dict, message: str) -> None:
    for name in MODELS:
        with pytest.raises((ValueError, InstantiationException), match=message):
            build_model(name, 4, 2, **tiny(name, **kwargs))


def test_unknown_model_name_lists_the_zoo() -> None:
    with pytest.raises(ValueError, match="unet"):
        build_model("unett")


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--models", "unett"], "--models: unknown unett; choose from attention_unet"),
        (["--size", "0"], "--size must be within 1-4096, got 0"),
        (["--steps", "-1"], "--steps must be within 1-1000, got -1"),
        (["--size", "100000"], "--size must be within 1-4096, got 100000"),
    ],
)
def test_the_zoo_table_refuses_what_it_cannot_measure(capsys, arguments, message) -> None:
    from colorization.models.__main__ import main

    with pytest.raises(SystemExit) as stop:
        main(arguments)
    assert stop.value.code == 2 and message in capsys.readouterr().err
