"""model=smp: segmentation_models_pytorch's networks with the task's channels, weights found
locally only, ImageNet input normalisation and the fine-tuning hooks."""

from __future__ import annotations

from pathlib import Path

import pytest
import segmentation_models_pytorch as smp
import torch
from safetensors.torch import save_file
from timm.data import IMAGENET_DEFAULT_MEAN, IMAGENET_DEFAULT_STD

from colorization.models.pretrained import MissingWeightsError, weights_from_checkpoint
from colorization.models.smp import SmpNetwork
from colorization.models.zoo import build_model, count_parameters
from colorization.training.parameter_groups import build_optimizer

TINY_ENCODER = "tu-test_resnet"  # timm's own test model: a few hundred thousand parameters


def tiny(in_channels: int = 3, out_channels: int = 1, **settings) -> SmpNetwork:
    settings = {"encoder": TINY_ENCODER, "base_width": 4, "depth": 3, **settings}
    return build_model("smp", in_channels, out_channels, **settings)


@pytest.fixture
def empty_caches(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Hugging Face and torch hub caches with nothing in them."""
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hub"))
    monkeypatch.setattr("timm.models._hub.get_cache_dir", lambda: str(tmp_path / "torch"))
    return tmp_path / "hub"


def test_the_resnet34_unet_is_smps_own() -> None:
    """Same parameters and the same outputs as smp.Unet built with the same arguments."""
    ours = build_model("smp", 3, 1)
    theirs = smp.Unet("resnet34", encoder_weights=None, in_channels=3, classes=1)
    assert count_parameters(ours) == count_parameters(theirs) == 24_436_369
    theirs.load_state_dict(ours.model.state_dict())
    x = torch.randn(2, 3, 64, 96)
    assert torch.equal(ours.eval()(x), theirs.eval()(x))


@pytest.mark.parametrize(
    ("architecture", "arguments"),
    [
        ("UnetPlusPlus", {"decoder_channels": [16, 8, 4]}),
        ("FPN", {"decoder_pyramid_channels": 64, "decoder_segmentation_channels": 32}),
        ("DeepLabV3Plus", {"decoder_channels": 64}),
    ],
)
def test_other_architectures_match_smp_and_take_any_size(architecture: str, arguments) -> None:
    ours = tiny(4, 2, architecture=architecture.lower(), depth=3)  # any case, as smp
    theirs = getattr(smp, architecture)(
        TINY_ENCODER, encoder_depth=3, encoder_weights=None, in_channels=4, classes=2, **arguments
    )
    assert count_parameters(ours) == count_parameters(theirs)
    assert ours(torch.randn(2, 4, 37, 53)).shape == (2, 2, 37, 53)


@pytest.mark.parametrize("upsample", ["nearest", "bilinear"])
def test_upsample_and_norm_reach_the_decoder(upsample: str) -> None:
    net = tiny(upsample=upsample, norm="none")
    assert {block.interpolation_mode for block in net.model.decoder.blocks} == {upsample}
    norms = [type(m).__name__ for m in net.model.decoder.modules()]
    assert "BatchNorm2d" in [type(m).__name__ for m in tiny().model.decoder.modules()]
    assert "BatchNorm2d" not in norms


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"upsample": "transpose"}, "model.upsample=transpose is not available for smp models"),
        ({"norm": "group"}, "model.norm=group is not available for smp models"),
        ({"norm": "instance"}, "model.norm=instance is not available for smp models"),
        ({"architecture": "Unett"}, "model.architecture=Unett is not an smp architecture"),
        ({"encoder": "resnet35"}, "model.encoder=resnet35 is not an smp encoder"),
        ({"encoder": "tu-resnett"}, "model.encoder=tu-resnett: timm has no model resnett"),
        ({"architecture": "Linknet", "base_width": 8}, "Linknet has no decoder width"),
        ({"input_normalization": "rgb"}, "auto, imagenet or none"),
        ({"encoder_lr_scale": -1.0}, "must be >= 0"),
    ],
)
def test_options_smp_does_not_have_are_refused(settings, message: str) -> None:
    with pytest.raises(Exception, match=message):
        tiny(**settings)


@pytest.mark.usefixtures("empty_caches")
@pytest.mark.parametrize("encoder", ["resnet34", "tu-resnet18"])
def test_missing_weights_stop_with_the_cache_and_the_setting(encoder: str) -> None:
    with pytest.raises(MissingWeightsError) as stopped:
        SmpNetwork(3, 1, encoder=encoder, encoder_weights="imagenet")
    message = str(stopped.value)
    assert "\n" not in message and "nothing is downloaded" in message
    assert "model.encoder_weights=/path/to/weights.safetensors" in message
    assert "hub" in message and "docs/pretrained.md" in message


def test_unknown_weights_and_missing_files_are_named(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="choose imagenet or null"):
        SmpNetwork(3, 1, encoder="resnet34", encoder_weights="instagram")
    with pytest.raises(MissingWeightsError, match="none.safetensors: no such file"):
        SmpNetwork(3, 1, encoder_weights=str(tmp_path / "none.safetensors"))
    (tmp_path / "bad.pth").write_bytes(b"not a checkpoint")
    for encoder in ("mobilenet_v2", TINY_ENCODER):
        with pytest.raises(ValueError, match="Could not read encoder weights .*bad.pth"):
            SmpNetwork(3, 1, encoder=encoder, encoder_weights=str(tmp_path / "bad.pth"))


def _rgb_encoder_file(folder: Path, encoder: str = "mobilenet_v2") -> tuple[Path, dict]:
    from segmentation_models_pytorch.encoders import get_encoder

    torch.manual_seed(1)
    state = get_encoder(encoder, in_channels=3, depth=5).state_dict()
    folder.mkdir(parents=True, exist_ok=True)
    save_file({k: v.contiguous() for k, v in state.items()}, str(folder / "model.safetensors"))
    return folder / "model.safetensors", state


def test_weights_in_the_hub_cache_are_loaded_and_the_first_layer_adapted(
    empty_caches: Path,
) -> None:
    """smp's ImageNet weights as they lie in the Hugging Face cache after a download; 4 input
    channels get the RGB filters repeated and scaled by 3/4, as smp adapts them."""
    from segmentation_models_pytorch.encoders import encoders

    settings = encoders["mobilenet_v2"]["pretrained_settings"]["imagenet"]
    repo = empty_caches / f"models--{settings['repo_id'].replace('/', '--')}"
    _, state = _rgb_encoder_file(repo / "snapshots" / settings["revision"])
    net = tiny(4, 2, encoder="mobilenet_v2", depth=5, encoder_weights="imagenet")
    loaded = net.model.encoder.state_dict()
    first = "features.0.0.weight"
    rgb = state[first]
    assert torch.allclose(loaded[first], rgb[:, [0, 1, 2, 0]] * 3 / 4)
    assert all(torch.equal(loaded[k], v) for k, v in state.items() if k != first)


def test_weights_from_a_file_for_a_timm_encoder(tmp_path: Path) -> None:
    import timm

    torch.manual_seed(2)
    state = timm.create_model("test_resnet", pretrained=False).state_dict()
    save_file(state, str(tmp_path / "test_resnet.safetensors"))
    net = tiny(encoder_weights=str(tmp_path / "test_resnet.safetensors"))
    loaded = net.model.encoder.model.state_dict()
    assert all(torch.equal(value, state[key]) for key, value in loaded.items())


def test_a_checkpoint_replaces_the_weights_so_none_are_needed(empty_caches: Path) -> None:
    with weights_from_checkpoint():
        net = build_model("smp", 3, 1, encoder_weights="imagenet")
    assert net.encoder_weights == "imagenet"  # still normalises as the trained run did


def test_imagenet_normalisation_of_rgb_inputs_in_the_tasks_range() -> None:
    with weights_from_checkpoint():
        net = tiny(encoder="mobilenet_v2", encoder_weights="imagenet").eval()
    net.set_input_range((-1.0, 1.0))  # segmentation feeds RGB * 2 - 1
    rgb = torch.rand(1, 3, 32, 32)
    mean = torch.tensor(IMAGENET_DEFAULT_MEAN).view(1, 3, 1, 1)
    std = torch.tensor(IMAGENET_DEFAULT_STD).view(1, 3, 1, 1)
    expected = net.model((rgb - mean) / std)
    assert torch.allclose(net(rgb * 2 - 1), expected, atol=1e-5)


def test_no_normalisation_without_weights_or_rgb() -> None:
    net = tiny()
    net.set_input_range((0.0, 1.0))  # random init: nothing to match
    assert net.input_mean.numel() == 0
    with weights_from_checkpoint():
        hinted = tiny(4, 2, encoder_weights="imagenet")
    hinted.set_input_range(None)  # colorization: L + hints are not RGB
    assert hinted.input_mean.numel() == 0
    forced = tiny(4, 2, input_normalization="imagenet")
    with pytest.raises(ValueError, match="needs RGB inputs"):
        forced.set_input_range(None)


def test_the_encoder_learns_at_its_own_rate() -> None:
    net = tiny(encoder_lr_scale=0.1)
    optimizer = build_optimizer(
        lambda params: torch.optim.Adam(params, lr=1e-3), torch.nn.Sequential(net), net
    )
    rest, encoder = optimizer.param_groups
    assert rest["lr"] == pytest.approx(1e-3) and encoder["lr"] == pytest.approx(1e-4)
    assert {id(p) for p in encoder["params"]} == {id(p) for p in net.model.encoder.parameters()}
    assert len(rest["params"]) + len(encoder["params"]) == len(list(net.parameters()))
    cosine = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=4)
    optimizer.step()
    cosine.step()
    assert encoder["lr"] / rest["lr"] == pytest.approx(0.1)
    single = build_optimizer(lambda params: torch.optim.Adam(params, lr=1e-3), net, tiny())
    assert len(single.param_groups) == 1


# --- inside the tasks ------------------------------------------------------------------------
def _first_conv_and_head(net: SmpNetwork) -> tuple[int, int]:
    first = next(m for m in net.model.encoder.modules() if isinstance(m, torch.nn.Conv2d))
    head = next(m for m in net.model.segmentation_head.modules() if isinstance(m, torch.nn.Conv2d))
    return first.in_channels, head.out_channels


@pytest.mark.parametrize(
    ("overrides", "channels", "normalised"),
    [
        (("task=colorization",), (4, 2), False),  # L + hint ab + hint mask -> ab
        (("task=colorization", "loss=ab_classification"), (4, 313), False),  # ab bins
        (("task=segmentation",), (3, 1), True),  # binary: one logit
        (("task=segmentation", "task.num_classes=4", "loss=ce"), (3, 4), True),
        (("task=flare",), (3, 3), True),
        (("task=superres", "model=smp"), (3, 3), True),
        (("task=denoising",), (3, 3), True),
        (("task=denoising", "task.channels=1"), (1, 1), False),  # grey: not RGB
    ],
)
def test_every_task_sets_the_channels_smp_builds(make_cfg, overrides, channels, normalised):
    from colorization.build import build_task

    cfg = make_cfg(*overrides, "model=smp", "model.encoder_weights=imagenet")  # tiny encoder
    task = build_task(cfg, pretrained=False)  # as for a trained run: no weights read
    assert _first_conv_and_head(task.net) == channels
    assert (task.net.input_mean.numel() > 0) is normalised


def test_the_encoder_is_frozen_for_the_first_epochs_then_trains(make_cfg) -> None:
    from types import SimpleNamespace

    from colorization.build import build_task
    from colorization.callbacks import EncoderFreezing

    task = build_task(make_cfg("model=smp", "model.freeze_encoder_epochs=2"))
    encoder = task.net.model.encoder
    norms = [m for m in encoder.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    freezing = EncoderFreezing()
    for epoch, frozen in ((0, True), (1, True), (2, False)):
        freezing.on_train_epoch_start(SimpleNamespace(current_epoch=epoch), task)
        task.train()  # Lightning's switch back from validation keeps frozen norms in eval
        assert all(p.requires_grad is not frozen for p in encoder.parameters())
        assert all(norm.training is not frozen for norm in norms)
    resumed = EncoderFreezing()  # a run resumed at epoch 1 starts frozen, as the first did
    resumed.on_train_epoch_start(SimpleNamespace(current_epoch=1), task)
    assert not any(p.requires_grad for p in encoder.parameters())
