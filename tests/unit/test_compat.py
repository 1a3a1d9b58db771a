"""Runs recorded by 0.x: their configs are read as this version names things."""

from __future__ import annotations

from pathlib import Path

from hydra.utils import get_class
from omegaconf import OmegaConf

from colorization.compat import moved_target, same_target, upgrade
from colorization.runs.folder import RunFolder
from colorization.runs.record import config_differences
from colorization.trained.run import run_config


def test_moved_classes_are_renamed_and_others_kept() -> None:
    assert moved_target("colorization.tasks.guard.LossGuard") == (
        "colorization.training.guard.LossGuard"
    )
    assert moved_target("colorization.data.ColorizationDataModule") == (
        "colorization.data.photos.PhotoDataModule"
    )
    assert moved_target("torch.nn.L1Loss") == "torch.nn.L1Loss"


def test_every_renamed_target_imports() -> None:
    from colorization.compat import MOVED_MODULES, RENAMED_CLASSES

    for target in RENAMED_CLASSES.values():
        assert get_class(target)
    for module in MOVED_MODULES.values():
        __import__(module)


def test_a_recorded_config_of_0_8_is_upgraded_everywhere(make_cfg, tmp_path: Path) -> None:
    cfg = make_cfg()
    cfg.safety.loss_guard._target_ = "colorization.tasks.guard.LossGuard"
    cfg.data._target_ = "colorization.data.ColorizationDataModule"
    cfg.task._target_ = "colorization.tasks.ColorizationTask"
    upgraded = upgrade(cfg.copy())
    assert upgraded.safety.loss_guard._target_ == "colorization.training.guard.LossGuard"
    assert upgraded.data._target_ == "colorization.data.photos.PhotoDataModule"
    assert get_class(upgraded.task._target_).__name__ == "ColorizationTask"
    folder = RunFolder(tmp_path / "run")
    folder.config.parent.mkdir(parents=True)
    OmegaConf.save(cfg, folder.config)
    assert run_config(folder).data._target_ == "colorization.data.photos.PhotoDataModule"


def test_a_run_of_0_8_resumes_although_its_classes_moved(make_cfg) -> None:
    recorded, current = make_cfg(), make_cfg()
    recorded.data._target_ = "colorization.data.ColorizationDataModule"
    recorded.task._target_ = "colorization.tasks.ColorizationTask"
    assert config_differences(recorded, current) == []
    assert same_target("colorization.tasks.ColorizationTask", current.task._target_)
    assert not same_target("colorization.tasks.FlareTask", current.task._target_)
    assert not same_target("nowhere.Gone", current.task._target_)


def test_a_recorded_task_lacking_settings_added_since_gets_their_earlier_behaviour() -> None:
    from colorization.compat import upgrade

    recorded = OmegaConf.create(
        {"task": {"_target_": "colorization.tasks.SuperResTask", "scale": 3, "residual": True}}
    )
    task = upgrade(recorded).task
    assert task.degradation == "torch"  # 1.4 made matlab the default; earlier runs used torch
    assert (task.scale, task.tile_size, task.monitor) == (3, 128, "val/psnr")  # this version's
    colorization = upgrade(
        OmegaConf.create({"task": {"_target_": "colorization.tasks.ColorizationTask"}})
    ).task
    assert colorization.no_hint_rate == 0.0 and colorization.in_channels == 4
    unknown = OmegaConf.create({"task": {"_target_": "elsewhere.OwnTask", "a": 1}})
    assert set(upgrade(unknown).task) == {"_target_", "a"}
