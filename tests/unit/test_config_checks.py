"""colorization.config.validate_config: bad values stop the run at start, naming the key."""

from __future__ import annotations

import pytest

from colorization.config import validate_config
from colorization.train import train


@pytest.mark.parametrize(
    ("override", "key"),
    [
        ("optimizer.lr=-0.001", "optimizer.lr"),
        ("data.image_size=0", "data.image_size"),
        ("task.hints.ratios=[0.01,1.5]", "task.hints.ratios"),
        ("optimization.accumulate_grad_batches=0", "optimization.accumulate_grad_batches"),
        ("+trainer.accumulate_grad_batches=2", "trainer.accumulate_grad_batches"),
    ],
)
def test_invalid_values_fail_at_start_naming_the_key(make_cfg, override: str, key: str) -> None:
    with pytest.raises(ValueError, match=f"Invalid config: {key}="):
        train(make_cfg(override))


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("optimization.compile=yes", "optimization.compile=yes"),
        ("optimization.channels_last=nhwc", "optimization.channels_last=nhwc"),
    ],
)
def test_invalid_speed_options_fail_at_start(make_cfg, override: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        validate_config(make_cfg(override))


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
