"""Every option of every config group composes, builds, and wires into a task."""

from __future__ import annotations

from pathlib import Path

import pytest
from hydra.errors import MissingConfigException

from colorization.build import build_task
from colorization.config import compose, config_dir
from colorization.train import train

CONF = config_dir()

# Groups whose options are whole setups or infrastructure, listed separately below.
SPECIAL = {"hydra", "paths"}


def group_options() -> list[str]:
    """``group=option`` for every YAML in every group folder (nested groups use ``a/b``)."""
    overrides = []
    for path in sorted(CONF.rglob("*.yaml")):
        group = path.parent.relative_to(CONF).as_posix()
        if path.parent == CONF or group.split("/")[0] in SPECIAL:
            continue
        overrides.append(f"{group}={path.stem}")
    return overrides


# Options that only fit another task than the default one, with the settings they need.
SEGMENTATION = ("task=segmentation",)

CONTEXT = {
    "data=segmentation": SEGMENTATION,
    "loss=dice": SEGMENTATION,
    "loss=bce": SEGMENTATION,
    "loss=bce_dice": SEGMENTATION,
    "loss=focal": SEGMENTATION,
    "loss=ce": (*SEGMENTATION, "task.num_classes=4"),
    "data=flare": ("task=flare",),
    "data=div2k": ("task=superres", "data.root=DIV2K"),  # built only: setup reads the folder
}


def test_every_group_has_options() -> None:
    groups = {option.split("=")[0] for option in group_options()}
    expected = {"task", "task/hints", "data", "model", "loss", "optimizer", "scheduler"}
    expected |= {"trainer", "callbacks", "logger", "debug", "experiment"}
    assert expected <= groups


# Options that need a photo store (data.store: a session fixture makes one).
NEEDS_STORE = {"data=photos", "experiment=colorization_photos"}


@pytest.mark.parametrize("override", group_options())
def test_option_composes_and_builds(override: str, make_cfg, request) -> None:
    context = CONTEXT.get(override, ())
    if override in NEEDS_STORE:
        context = (f"data.store={request.getfixturevalue('photo_store')}",)
    cfg = make_cfg(*context, override, "train=false")
    trainer, task = train(cfg)
    optimizers = task.configure_optimizers()
    assert optimizers is not None
    assert trainer.max_epochs >= 1


def test_overrides_from_the_readme_apply(tmp_path: Path) -> None:
    cfg = compose(
        [
            "model=unet",
            "loss=mse",
            "optimizer=rmsprop",
            "optimizer.lr=5e-4",
            f"data.root={tmp_path}",
            "data.image_size=128",
            "trainer.max_epochs=80",
        ],
        output_dir=tmp_path,
    )
    assert cfg.loss._target_ == "torch.nn.MSELoss"
    assert cfg.optimizer._target_ == "torch.optim.RMSprop" and cfg.optimizer.lr == 5e-4
    assert cfg.data.root == str(tmp_path) and cfg.data.image_size == 128
    assert cfg.trainer.max_epochs == 80
    net = build_task(cfg).net  # the task fills in the model's channels
    assert net.in_channels == 4 and net.out_channels == 2


def test_checkpoint_name_carries_the_monitored_metric(tmp_path: Path) -> None:
    cfg = compose([], output_dir=tmp_path)
    assert cfg.callbacks.model_checkpoint.filename == "epoch={epoch:03d}-val_psnr={val/psnr:.2f}"


def test_a_typo_in_a_choice_lists_the_valid_options(tmp_path: Path) -> None:
    with pytest.raises(MissingConfigException) as error:
        compose(["model=unett"], output_dir=tmp_path)
    assert "Available options" in str(error.value) and "unet" in str(error.value)


@pytest.mark.parametrize("launcher", ["slurm", "local_parallel"])
def test_the_launchers_compose_from_the_run_config(launcher: str) -> None:
    """hydra/launcher=slurm sizes the SLURM job from the trainer: one task per device."""
    from hydra import compose as hydra_compose
    from hydra import initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra
    from omegaconf import OmegaConf

    GlobalHydra.instance().clear()
    overrides = [f"hydra/launcher={launcher}", "trainer.devices=4", "trainer.num_nodes=2"]
    with initialize_config_dir(str(CONF), version_base="1.3"):
        cfg = hydra_compose("train", overrides=overrides, return_hydra_config=True)
    settings = OmegaConf.to_container(cfg.hydra.launcher, resolve=True)
    assert settings["_target_"].startswith("hydra_plugins.hydra_submitit_launcher")
    assert settings["timeout_min"] == 1440
    if launcher == "slurm":
        assert (settings["nodes"], settings["tasks_per_node"], settings["gpus_per_node"]) == (
            2,
            4,
            4,
        )
        assert settings["max_num_timeout"] > 0  # requeued at the time limit
    else:
        assert settings["_target_"].endswith("LocalLauncher")


def test_a_task_yaml_names_the_options_it_selects() -> None:
    from colorization.config import task_choice

    assert task_choice("superres", "model") == "rdn"
    assert task_choice("superres", "data") == "superres"
    assert task_choice("flare", "loss") == "l1_ssim"
    assert task_choice("colorization", "model") == "unet"  # train.yaml's model
