"""What a run records about itself, and whether a new command may resume it.

A run's config is recorded when it starts training from scratch (``<run>/.hydra/config.yaml``
and ``overrides.yaml``). A later start that resumes it never rewrites them: it appends its
command line to ``<run>/.hydra/overrides_history.yaml``. Before a resume touches anything, the
recorded config is compared with the new one: every key must be equal except those in
:data:`MAY_CHANGE` (how long and on what hardware to train, logging, loader workers, the safety
net), so a resumed run is the same experiment, continued.
"""

from __future__ import annotations

import datetime as dt
import logging
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf

from colorization.compat import ADDED_KEYS, same_target
from colorization.data.base import LOADING_SETTINGS
from colorization.data.sample_order import warn_not_exact
from colorization.errors import RunError
from colorization.runs.folder import RunFolder
from colorization.runs.trust import read_recorded_config

log = logging.getLogger(__name__)

# Run bookkeeping: what a command does with a run, not what the run computes.
_BOOKKEEPING = (
    "callbacks",
    "logger",
    "paths",
    "tune",  # the batch-size finder runs only on a fresh start
    "seed",  # a resumed run draws with the seed its checkpoint recorded
    "train",
    "resume",
    "run_name",
    "ckpt_path",
    "print_config",
    "optimized_metric",
    "task.baselines",  # what evaluation scores beside the model
)
# Keys (and key prefixes) that may differ between a run's recorded config and a command that
# resumes it. Everything else (task, data, model, loss, optimizer, scheduler, accumulation and
# clipping) must match.
MAY_CHANGE = (
    "trainer",  # epochs, steps, accelerator, devices, strategy, nodes, precision, logging cadence
    *(f"data.{setting}" for setting in LOADING_SETTINGS),
    "optimization.channels_last",
    "optimization.compile",
    "safety",
    *_BOOKKEEPING,
)


# Of those, the keys whose change leaves what training computes as it was: a resume with any
# other change continues the run, but not exactly as it would have gone on (precision, device,
# number of ranks, compilation, the guard's settings, when validation or logging happens).
KEEP_EXACTNESS = (
    *(f"data.{setting}" for setting in LOADING_SETTINGS if setting != "val_batch_size"),
    "trainer.max_epochs",
    "trainer.max_steps",
    "trainer.max_time",
    "trainer.enable_progress_bar",
    "trainer.enable_model_summary",
    *_BOOKKEEPING,
)


def _under(key: str, prefixes: tuple[str, ...]) -> bool:
    return any(key == prefix or key.startswith(prefix + ".") for prefix in prefixes)


def may_change(key: str) -> bool:
    return _under(key, MAY_CHANGE)


def flatten(config: Any, prefix: str = "") -> dict[str, Any]:
    """``{"a.b": value}`` for every leaf of a config (interpolations kept as written)."""
    if isinstance(config, DictConfig):
        config = OmegaConf.to_container(config, resolve=False)
    if isinstance(config, dict):
        flat: dict[str, Any] = {}
        for key, value in config.items():
            flat.update(flatten(value, f"{prefix}{key}."))
        return flat or {prefix.rstrip("."): {}}
    return {prefix.rstrip("."): config}


def config_differences(recorded: Any, current: Any) -> list[tuple[str, Any, Any]]:
    """``(key, recorded value, current value)`` for every key that may not change on resume."""
    old, new = flatten(recorded), flatten(current)
    missing = "(absent)"
    old = {**{k: v for k, v in ADDED_KEYS.items() if k in new}, **old}
    return [
        (key, old.get(key, missing), new.get(key, missing))
        for key in sorted(old.keys() | new.keys())
        if not may_change(key) and not _same(key, old.get(key, missing), new.get(key, missing))
    ]


def _same(key: str, old: Any, new: Any) -> bool:
    return same_target(old, new) if key.endswith("._target_") else old == new


def check_resumable(run: RunFolder, cfg: DictConfig, given_checkpoint: bool = False) -> None:
    """Stop, before anything is touched, if ``cfg`` is another experiment than the one the
    run recorded (``given_checkpoint``: the run is that of ``ckpt_path=``, whose advice
    differs)."""
    if not run.config.is_file():
        return
    recorded = read_recorded_config(run.config)
    differences = config_differences(recorded, cfg)
    if not differences:
        log_inexact_changes(recorded, cfg)
        return
    differences = _without_consequences(differences)
    shown = "\n".join(f"  {key}: {old!r} -> {new!r}" for key, old, new in differences[:20])
    more = f"\n  ... and {len(differences) - 20} more" if len(differences) > 20 else ""
    if given_checkpoint:
        advice = (
            f"Give the run's own configuration (its overrides are in {run.overrides}) to "
            "continue it, or leave ckpt_path out to train this configuration from scratch."
        )
    else:
        advice = (
            "Either give this experiment its own run (run_name=<another name>), or start this "
            f"run over with resume=false (its checkpoints and logs move to {run.archive}/"
            "<date>_<time>/)."
        )
    raise RunError(
        f"{run.root} was trained with another configuration (recorded in {run.config}):\n"
        f"{shown}{more}\nResuming it would not continue that run. {advice}"
    )


def log_inexact_changes(recorded: Any, current: Any) -> None:
    """One line if the resume changes a key that changes what training computes (allowed, but
    the continuation is not the run it resumes, bit for bit; docs/never-lose-work.md)."""
    old, new = flatten(recorded), flatten(current)
    missing = "(absent)"
    changed = [
        f"{key}: {old.get(key, missing)!r} -> {new.get(key, missing)!r}"
        for key in sorted(old.keys() | new.keys())
        if may_change(key)
        and not _under(key, KEEP_EXACTNESS)
        and old.get(key, missing) != new.get(key, missing)
    ]
    if changed:
        warn_not_exact("changed: " + "; ".join(changed))


def _without_consequences(differences: list[tuple[str, Any, Any]]) -> list[tuple[str, Any, Any]]:
    """The differences less the keys a changed ``_target_`` brings or drops with it (another
    model has other arguments): they follow from the class, and listing each one as
    ``(absent)`` hides the change that matters."""
    missing = "(absent)"
    changed = [
        key[: -len("_target_")]
        for key, old, new in differences
        if key.endswith("._target_") and missing not in (old, new)
    ]
    return [
        (key, old, new)
        for key, old, new in differences
        if not (
            missing in (old, new)
            and any(key.startswith(group) and key != f"{group}_target_" for group in changed)
        )
    ]


def archive(run: RunFolder) -> Path | None:
    """Move a run's checkpoints, config and logs into ``<run>/archive/<date>_<time>/``; a
    folder that is no run (no recorded config) is left as it is."""
    if not run.config.is_file():  # not a run's folder: nothing of it is the run's to move
        return None
    present = [path for path in run.archived_parts if path.exists()]
    target = run.archive / dt.datetime.now().strftime("%Y-%m-%d_%H-%M-%S")
    target.mkdir(parents=True, exist_ok=False)
    for path in present:
        shutil.move(str(path), str(target / path.name))
    log.warning("resume=false: moved the earlier attempt of %s to %s.", run.root, target)
    return target


def record_start(run: RunFolder, cfg: DictConfig, overrides: Sequence[str], resumed: bool) -> None:
    """A fresh start records its config and command line; a resume appends its command line
    to the history and leaves the recorded config as it was."""
    run.config.parent.mkdir(parents=True, exist_ok=True)
    if resumed and run.config.is_file():
        entry = {"time": dt.datetime.now().isoformat(timespec="seconds"), "overrides": overrides}
        with run.history.open("a") as history:
            history.write(OmegaConf.to_yaml([entry]))
        return
    OmegaConf.save(cfg, run.config)
    OmegaConf.save(OmegaConf.create(list(overrides)), run.overrides)


def command_line_overrides() -> list[str]:
    """The overrides this process was started with (empty outside a Hydra app)."""
    from hydra.core.hydra_config import HydraConfig

    try:
        return list(HydraConfig.get().overrides.task)
    except ValueError:  # no Hydra config set
        return []
