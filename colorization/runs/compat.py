"""What runs recorded by earlier versions (0.x) need to be read by this one, in one place: a
run folder trained with 0.x still predicts, evaluates, exports, reports and resumes.

- :data:`MOVED_MODULES`, :data:`RENAMED_CLASSES`: classes a recorded config names by their old
  path (``_target_``); rewritten when a recorded config is read.
- :data:`ADDED_KEYS`: config keys added after 0.1, with the value that behaves as the version
  before did; a run recorded without the key resumes as if it had recorded that value.
- Classes that moved but are still importable by their old path (a task class named as
  ``colorization.tasks.<Class>``, a DataModule as ``colorization.data.<Class>``) need no entry:
  :func:`same_target` compares the classes themselves.
"""

from __future__ import annotations

import re
from typing import Any

from hydra.utils import get_class
from omegaconf import DictConfig, OmegaConf

_DOTTED = re.compile(r"[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)+")  # what may name a class

MOVED_MODULES = {
    "colorization.tasks.guard": "colorization.training.guard",  # 1.0
}
# Classes renamed (by every path an earlier config named them by).
RENAMED_CLASSES = dict.fromkeys(
    (
        "colorization.data.ColorizationDataModule",
        "colorization.data.colorization.ColorizationDataModule",
        "colorization.data.colorization.datamodule.ColorizationDataModule",
    ),
    "colorization.data.photos.PhotoDataModule",  # 1.0: the photos serve every task
)

ADDED_KEYS: dict[str, Any] = {
    "data.test_root": None,  # 0.3
    "task.no_hint_rate": 0.0,  # 0.4
    "task.hue_rotation_rate": 0.0,  # 0.4
    "task.baselines": [],  # 0.4
    "task.propagation": None,  # 0.5
    # 0.6: fused optimizers (their state loads from the unfused ones' checkpoints).
    "optimizer.fused": True,
    "task.discriminator_optimizer.fused": True,
    "task.degradation": "torch",  # 1.4: super-resolution's LR made by torch's bicubic before
}


def moved_target(target: str) -> str:
    """``target`` as this version names it (:data:`RENAMED_CLASSES`, :data:`MOVED_MODULES`)."""
    if target in RENAMED_CLASSES:
        return RENAMED_CLASSES[target]
    module, _, name = target.rpartition(".")
    return f"{MOVED_MODULES[module]}.{name}" if module in MOVED_MODULES else target


def config_targets(config: DictConfig) -> list[tuple[str, str]]:
    """(dotted key, target) of every ``_target_`` of ``config``, read unresolved (as Hydra
    recorded it: a target written as an interpolation stays one)."""

    def walk(node: Any, prefix: str) -> list[tuple[str, str]]:
        if isinstance(node, dict):
            found = [(f"{prefix}_target_", str(node["_target_"]))] if "_target_" in node else []
            return found + [
                pair
                for key, value in node.items()
                if key != "_target_"
                for pair in walk(value, f"{prefix}{key}.")
            ]
        if isinstance(node, list):
            return [pair for i, item in enumerate(node) for pair in walk(item, f"{prefix}{i}.")]
        return []

    return walk(OmegaConf.to_container(config, resolve=False), "")


def upgrade(config: DictConfig) -> DictConfig:
    """A recorded config as this version reads it (every moved ``_target_`` renamed)."""
    for key, target in config_targets(config):
        if moved_target(target) != target:
            OmegaConf.update(config, key, moved_target(target), force_add=True)
    return config


def same_target(recorded: Any, current: Any) -> bool:
    """Whether two ``_target_`` paths name the same class (an old path of a class that moved
    still names it)."""
    if recorded == current:
        return True
    if not all(_DOTTED.fullmatch(str(path)) for path in (recorded, current)):
        return False  # "(absent)", an interpolation: no class (Hydra would log an ERROR)
    try:
        return get_class(moved_target(str(recorded))) is get_class(str(current))
    except Exception:  # a path that no longer imports names another class
        return False
