"""Data: one sub-package per task (its DataModule, datasets and transforms), with what the tasks
share at this level: the DataModule base, image finding and decoding, file checks before
training, hold-out splits, the built-in sample photos and seeded random draws.

Each sub-package imports its DataModule on first use (:mod:`colorization.lazy`), so importing a
light module here imports no Lightning. ``colorization.data.<DataModule>`` (the path configs of
earlier versions name) finds the class in whichever sub-package exports it."""

from __future__ import annotations

import importlib
import pkgutil
from typing import Any


def __getattr__(name: str) -> Any:
    for module in pkgutil.iter_modules(__path__):
        if module.ispkg:
            package = importlib.import_module(f"{__name__}.{module.name}")
            if name in getattr(package, "__all__", ()):
                return getattr(package, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
