"""``key=value`` settings given to a trained run (``evaluate <run> data.test_root=...``): parsed
as ``train`` parses them, and checked against what the run's config and data accept."""

from __future__ import annotations

import difflib
import inspect
from collections.abc import Sequence
from typing import Any

from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.utils import get_class
from omegaconf import OmegaConf

from colorization.errors import UserError
from colorization.trained.run import TrainedRun

# Keys of the data config a run recorded before they existed may still be given.
NEW_DATA_KEYS = {"data.test_root", "data.test_list"}
_ABSENT = object()


def parsed_override(override: str) -> tuple[str, Any]:
    """``key=value`` as ``train`` reads it (Hydra's grammar: ``0.38`` is a number, ``null``
    None, ``[1,2]`` a list)."""
    try:
        parsed = OverridesParser.create().parse_override(override)
    except Exception:  # Hydra raises its own error types for what its grammar rejects
        parsed = None
    if (
        parsed is None
        or not parsed.key_or_group
        or parsed.is_sweep_override()
        or parsed.is_delete()
    ):
        raise UserError(f"{override!r} is not key=value (e.g. data.test_root=/photos/test).")
    return parsed.key_or_group, parsed.value()


def apply_overrides(run: TrainedRun, overrides: Sequence[str]) -> list[str]:
    """``key=value`` overrides of the run's config (data settings, tile size, the decoding
    temperature of ``loss=ab_classification``, ...)."""
    applied = []
    for override in overrides:
        key, value = parsed_override(override)
        if (
            key not in NEW_DATA_KEYS
            and OmegaConf.select(run.config, key, default=_ABSENT) is _ABSENT
        ):
            keys = [k for k in _keys(run.config) if k.split(".")[0] in ("data", "task")]
            close = difflib.get_close_matches(key, keys, n=1)
            hint = f" Did you mean {close[0]}?" if close else ""
            raise UserError(f"{key} is not a setting of the run's config.{hint}")
        OmegaConf.update(run.config, key, value, force_add=True)
        applied.append(override)
    return applied


def check_test_root_accepted(run: TrainedRun) -> None:
    """``data.test_root`` given to a task whose data has no test set of its own stops in one
    line (before, the DataModule refused the argument in a traceback)."""
    if OmegaConf.select(run.config, "data.test_root", default=None) is None:
        return
    data_class = get_class(str(run.config.data._target_))
    if "test_root" not in inspect.signature(data_class.__init__).parameters:
        raise UserError(
            f"data.test_root: the {run.plugin.name} task's data ({data_class.__name__}) has no "
            "test set of its own; it is tested on its validation data (set the data's val_* "
            "folders), or by a published protocol (--protocol NAME data.test_root=...)."
        )


def _keys(node: Any, prefix: str = "") -> list[str]:
    if not OmegaConf.is_dict(node):
        return [prefix.rstrip(".")]
    return [k for name in node for k in _keys(node._get_node(name), f"{prefix}{name}.")]
