"""What runs and files of earlier versions need to be read by this one, in one place: a run
folder trained with 0.x still predicts, evaluates, exports, reports and resumes, and a model
exported by 0.x still predicts.

- :data:`MOVED_MODULES`, :data:`RENAMED_CLASSES`: classes a recorded config names by their old
  path (``_target_``); rewritten when a recorded config is read.
- :data:`ADDED_KEYS`: config keys added after 0.1, with the value that behaves as the version
  before did; a run recorded without the key resumes as if it had recorded that value.
- Classes that moved but are still importable by their old path (a task class named as
  ``colorization.tasks.<Class>``, a DataModule as ``colorization.data.<Class>``) need no entry:
  :func:`same_target` compares the classes themselves; :func:`task_class_name` finds a task
  by its class's name.
- :func:`exported_settings`: the task's settings of an exported file (0.x wrote them beside the
  common fields).
- :func:`trained_seconds_before`: a resume from a checkpoint of 0.x, which holds no training
  time.
- :func:`protocol_note` and :func:`older_labels`: evaluation.json of 1.0 (``hint_protocol``)
  and of 1.4 (rows without labels).

Nothing here imports the project: every layer may ask it.
"""

from __future__ import annotations

import re
from typing import Any

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
    """A recorded config as this version reads it: every moved ``_target_`` renamed, and the
    task settings added since it was recorded filled in (:func:`missing_task_settings`)."""
    for key, target in config_targets(config):
        if moved_target(target) != target:
            OmegaConf.update(config, key, moved_target(target), force_add=True)
    for key, value in missing_task_settings(config).items():
        OmegaConf.update(config, f"task.{key}", value, force_add=True)
    return config


def missing_task_settings(config: DictConfig) -> dict[str, Any]:
    """The task settings this version's ``conf/task/<name>.yaml`` states (the one home of a
    task's defaults: the task classes declare none) that ``config`` lacks: a setting added
    since the run was recorded, with the value that behaves as the version before did
    (:data:`ADDED_KEYS`), else this version's."""
    from colorization import config_dir

    task = OmegaConf.select(config, "task")
    if not OmegaConf.is_dict(task) or "_target_" not in task:
        return {}
    name = task_class_name(str(task._target_))
    for path in sorted((config_dir() / "task").glob("*.yaml")):
        defaults = OmegaConf.load(path).get("task")
        if defaults is not None and task_class_name(str(defaults.get("_target_"))) == name:
            return {
                key: ADDED_KEYS.get(f"task.{key}", value)
                for key, value in OmegaConf.to_container(defaults, resolve=False).items()
                if key != "_target_" and key not in task
            }
    return {}


def same_target(recorded: Any, current: Any) -> bool:
    """Whether two ``_target_`` paths name the same class (an old path of a class that moved
    still names it)."""
    if recorded == current:
        return True
    if not all(_DOTTED.fullmatch(str(path)) for path in (recorded, current)):
        return False  # "(absent)", an interpolation: no class (Hydra would log an ERROR)
    from hydra.utils import get_class

    try:
        return get_class(moved_target(str(recorded))) is get_class(str(current))
    except Exception:  # a path that no longer imports names another class
        return False


def task_class_name(target: str) -> str:
    """The name a run's task class is known by: its class name (0.x named the class by other
    module paths: ``colorization.tasks.SegmentationTask``)."""
    return target.rsplit(".", 1)[-1]


def exported_settings(data: dict[str, Any], common: tuple[str, ...]) -> dict[str, Any]:
    """The task's settings of an exported spec: its ``settings``, and for a file of 0.x every
    field beside the common ones (``data`` keeps only the common fields afterwards)."""
    settings = dict(data.pop("settings", None) or {})
    settings.update({k: v for k, v in data.items() if k not in common and v is not None})
    return settings


def trained_seconds_before(restored: float | None, from_history: float) -> float:
    """The training time before a resume: the checkpoint's, or for a checkpoint of 0.x (none
    recorded) the last time history.csv holds."""
    return restored if restored is not None else from_history


def protocol_note(evaluation: dict[str, Any]) -> Any:
    """evaluation.json's note on how the run was tested (1.0 named it ``hint_protocol``)."""
    return evaluation.get("protocol_note", evaluation.get("hint_protocol"))


def older_labels(rows: list[dict[str, Any]], published: set[str]) -> dict[tuple[str, str], str]:
    """Report labels for evaluation rows written before protocols labelled them (1.4 and
    earlier): each setting of the task's own protocols ``@<setting>``, but none for the first
    protocol when it has one setting only (the task as trained: ``test psnr``), so no two
    settings share a column; a published protocol's settings ``@<setting>``."""
    own = [row for row in rows if row["protocol"] not in published]
    settings: dict[str, set[str]] = {}
    for row in own:
        settings.setdefault(row["protocol"], set()).add(row["setting"])
    first = own[0]["protocol"] if own else None
    labels = {}
    for row in rows:
        setting = row["setting"]
        plain = row["protocol"] == first and len(settings[first]) == 1
        labels[(row["protocol"], setting)] = "" if plain or not setting else f"@{setting}"
    return labels
