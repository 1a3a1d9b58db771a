"""What opening a run folder may do: build the objects its recorded config names, and nothing
else. A run folder is data (people share them and download them); its ``.hydra/config.yaml``
names classes by ``_target_``, and building an arbitrary target runs arbitrary code
(``shutil.copy``, ``torch.save``, ...). So every ``_target_`` of a recorded config must be one
the framework's own configs use (``conf/``, with the paths earlier versions named them by), or
start with a prefix the user trusts (``COLORIZATION_TRUSTED_TARGETS=mypackage.,other.``, for
models of their own); anything else stops before a single object is built."""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import Any

from hydra.utils import get_class
from omegaconf import DictConfig, OmegaConf

from colorization import config_dir
from colorization.data.images import shown
from colorization.errors import UserError
from colorization.runs.compat import config_targets, moved_target

TRUST_VARIABLE = "COLORIZATION_TRUSTED_TARGETS"


class UntrustedRunError(UserError):
    """A run's config names a target this framework does not build."""


@functools.cache
def shipped_targets() -> frozenset[str]:
    """Every ``_target_`` of the configs this framework ships (``conf/**/*.yaml``)."""
    configs = (OmegaConf.load(path) for path in config_dir().rglob("*.yaml"))
    return frozenset(target for config in configs for _, target in config_targets(config))


@functools.cache
def _shipped_classes() -> frozenset[Any]:
    own = (t for t in shipped_targets() if t.split(".")[0] == "colorization")
    return frozenset(get_class(target) for target in own)


def is_trusted(target: str) -> bool:
    """Whether a recorded config may build ``target``: a shipped target, an earlier path of
    one of the framework's own classes, or a target under a prefix the user trusts."""
    if target in shipped_targets() or moved_target(target) in shipped_targets():
        return True
    prefixes = [p for p in os.environ.get(TRUST_VARIABLE, "").split(",") if p.strip()]
    if any(target.startswith(prefix.strip()) for prefix in prefixes):
        return True
    if target.split(".")[0] != "colorization":
        return False
    try:  # importing the framework's own modules does nothing (tests/unit/test_architecture.py)
        return get_class(moved_target(target)) in _shipped_classes()
    except Exception:  # not a class of this version
        return False


def untrusted_targets(config: DictConfig) -> list[tuple[str, str]]:
    """(key, target) of every ``_target_`` in ``config`` that :func:`is_trusted` refuses."""
    return [(key, target) for key, target in config_targets(config) if not is_trusted(target)]


def check_trusted(config: DictConfig, source: Path) -> None:
    """Stop, naming the file, the key and the target, if ``config`` (read from ``source``)
    names a target this framework does not build."""
    refused = untrusted_targets(config)
    if refused:
        key, target = refused[0]
        more = f" (and {len(refused) - 1} more)" if len(refused) > 1 else ""
        raise UntrustedRunError(
            f"{shown(source)}: {key}={target}{more} is not a class this framework builds, so "
            "the run folder is not opened (building it could run any code). If you wrote that "
            f"class and trust this run, set {TRUST_VARIABLE}={target.rsplit('.', 1)[0]}."
        )
