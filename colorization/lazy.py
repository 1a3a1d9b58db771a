"""Package attributes imported on first use (PEP 562), so that importing a light module of a
package (``colorization.data.images``, say) does not import its DataModules and, with them,
Lightning: prediction from an exported ONNX file runs without Lightning."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any


def lazy_attributes(package: str, exports: dict[str, str]) -> Callable[[str], Any]:
    """A module ``__getattr__`` that imports ``exports[name]`` (a module) to get ``name``."""

    def __getattr__(name: str) -> Any:
        if name not in exports:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(exports[name]), name)

    return __getattr__
