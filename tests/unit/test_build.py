"""colorization.build: how a config becomes the task's options and the Trainer's arguments."""

from __future__ import annotations

import pytest
from hydra.errors import InstantiationException

from colorization.build import build_task, optimization_options, trainer_config
from colorization.config import validate_config


def test_trainer_options_reach_the_task_resolved(make_cfg) -> None:
    cfg = make_cfg()
    options, trainer_cfg = optimization_options(cfg), trainer_config(cfg)
    assert options["channels_last"] is True and options["compile"] is False
    assert "channels_last" not in trainer_cfg and "compile" not in trainer_cfg
    options = optimization_options(make_cfg("optimization.channels_last=false"))
    assert options["channels_last"] is False


def test_cudnn_autotuning_is_on_unless_the_run_is_deterministic(make_cfg) -> None:
    assert trainer_config(make_cfg()).benchmark is True
    assert trainer_config(make_cfg("trainer.deterministic=true")).benchmark is False
    assert trainer_config(make_cfg("debug=short")).benchmark is False
    assert trainer_config(make_cfg("trainer.benchmark=false")).benchmark is False


def test_the_task_completes_a_partial_model_with_its_channels(make_cfg) -> None:
    for task, channels in (("colorization", (4, 2)), ("flare", (3, 3))):
        net = build_task(make_cfg(f"task={task}")).net
        assert (net.in_channels, net.out_channels) == channels
    multiclass = build_task(make_cfg("task=segmentation", "task.num_classes=4", "loss=ce")).net
    assert (multiclass.in_channels, multiclass.out_channels) == (3, 4)


def test_a_conflicting_model_channel_override_names_the_fix(make_cfg) -> None:
    with pytest.raises(InstantiationException, match="model.in_channels=3 but task .* needs 4"):
        build_task(make_cfg("+model.in_channels=3"))


def test_task_options_can_be_overridden_by_the_caller(make_cfg) -> None:
    task = build_task(make_cfg("optimization.compile=true"), compile=False)
    assert task.hparams.compile is False


def test_trainer_options_the_training_step_does_itself_say_where_they_go(make_cfg) -> None:
    with pytest.raises(ValueError, match="set optimization.gradient_clip_algorithm=value"):
        validate_config(make_cfg("+trainer.gradient_clip_algorithm=value"))
