"""Bad values stop the run before training, naming the key: values nothing of this project
uses itself in ``colorization.config.validate_config``, the others where they are used."""

from __future__ import annotations

import pytest

from colorization.config import config_dir, validate_config
from colorization.errors import user_error
from colorization.runs.folder import RunFolder
from colorization.train import train


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("optimizer.lr=-0.001", "Invalid config: optimizer.lr=-0.001"),
        ("data.image_size=0", "data.image_size must be a positive integer, got 0"),
        ("task.hints.ratios=[0.01,1.5]", "task.hints.ratios must be .* fractions in \\[0, 1\\]"),
        ("task.hints.ratios=[]", "task.hints.ratios must be a non-empty list"),
        ("optimization.accumulate_grad_batches=0", "accumulate_grad_batches must be >= 1"),
        ("+trainer.accumulate_grad_batches=2", "set optimization.accumulate_grad_batches=2"),
        ("+trainer.gradient_clip_val=1", "set optimization.gradient_clip_val=1"),
    ],
)
def test_invalid_values_fail_before_training_naming_the_key(
    make_cfg, override: str, message: str
) -> None:
    cfg = make_cfg(override)
    with pytest.raises(Exception) as raised:
        train(cfg)
    error = user_error(raised.value)  # what the command prints, in one line
    assert error is not None, raised.value
    assert raised.match(message)
    assert not RunFolder(cfg.paths.output_dir).checkpoints.exists()


def test_a_hint_ratio_of_zero_is_one_rule_everywhere(make_cfg) -> None:
    """0 % hints is an evaluation protocol; training accepts what the sampler accepts."""
    from hydra.utils import instantiate

    cfg = make_cfg("task.hints.ratios=[0.0,0.05]")
    validate_config(cfg)
    assert instantiate(cfg.task.hints).ratios.tolist() == pytest.approx([0.0, 0.05])


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("optimization.compile=yes", "optimization.compile=yes"),
        (
            "optimization.channels_last=nhwc",
            "optimization.channels_last must be true, false or auto",
        ),
    ],
)
def test_invalid_speed_options_fail_at_start(make_cfg, override: str, message: str) -> None:
    with pytest.raises(Exception) as raised:
        train(make_cfg(override))
    assert user_error(raised.value) is not None and raised.match(message)


def test_a_misspelled_group_added_with_plus_is_not_silently_ignored(make_cfg) -> None:
    with pytest.raises(ValueError, match=r"modle is no config group.*Did you mean model=unet\?"):
        validate_config(make_cfg("+modle=unet"))


@pytest.mark.parametrize(
    "override", ["trainer.strategy=ddp", "trainer.strategy=ddp_find_unused_parameters_true"]
)
def test_data_parallel_strategies_are_accepted(make_cfg, override: str) -> None:
    validate_config(make_cfg(override, "trainer.num_nodes=1"))


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (["trainer.strategy=fsdp"], "trainer.strategy=fsdp is not supported.*ddp"),
        (["trainer.strategy=deepspeed_stage_2"], "deepspeed_stage_2 is not supported"),
        (["+trainer.sync_batchnorm=true"], "sync_batchnorm=true with safety.oom_recovery=true"),
    ],
)
def test_strategies_the_training_step_cannot_serve_stop_at_start(
    make_cfg, overrides: list[str], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        train(make_cfg(*overrides))


def test_synchronised_batchnorm_is_allowed_without_oom_recovery(make_cfg) -> None:
    validate_config(make_cfg("+trainer.sync_batchnorm=true", "safety.oom_recovery=false"))


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("+optimizer.lrr=5", "optimizer.lrr is not an argument of torch.optim.Adam.*optimizer.lr"),
        ("+data.image_sise=8", "data.image_sise is not an argument of .*PhotoDataModule"),
        (
            "+task.hint_sed=1",
            "task.hint_sed is not an argument of .*Task. Did you mean task.hint_seed",
        ),
        ("+model.widht=8", "model.widht is not an argument of colorization.models.unet.UNet"),
    ],
)
def test_a_key_no_target_takes_stops_at_start_with_the_closest(
    make_cfg, override: str, message: str
) -> None:
    """A typo added with + (what Hydra suggests for a key it does not know) would reach the
    object only once data and model are built: it stops before, in one line."""
    with pytest.raises(ValueError, match=message):
        validate_config(make_cfg(override))


@pytest.mark.parametrize(
    "experiment", sorted(p.stem for p in (config_dir() / "experiment").glob("*.yaml"))
)
def test_every_shipped_experiment_passes_the_argument_check(make_cfg, experiment: str) -> None:
    validate_config(make_cfg(f"experiment={experiment}"))


def test_a_target_that_cannot_be_imported_is_left_to_the_build_to_report(make_cfg) -> None:
    from colorization.config import accepted_arguments

    assert accepted_arguments("nowhere.Model") is None
    assert "lr" in accepted_arguments("torch.optim.Adam")
    assert accepted_arguments("colorization.data.photos.PhotoDataModule") >= {"root", "image_size"}
