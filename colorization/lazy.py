"""Package attributes imported on first use (PEP 562), so that importing a light module of a
package (``colorization.data.images``, say) does not import its DataModules and, with them,
Lightning: prediction from an exported ONNX file runs without Lightning."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from typing import Any


def lazy_attributes(package: str, exports: dict[str, str]) -> Callable[[str], Any]:
    """A module ``__getattr__`` that imports ``exports[name]`` (a module) to get ``name``."""

    def __getattr__(name: str) -> Any:
        if name not in exports:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return _imported(exports[name], name)

    return __getattr__


def _imported(module: str, name: str) -> Any:
    return getattr(importlib.import_module(module), name)


def lazy_function(module: str, name: str) -> Callable[..., Any]:
    """A function that imports ``module`` on its first call and calls ``module.name``: a task
    plugin names its heavy functions this way, so that reading the plugins (a command's
    ``--help``) imports no torch."""

    def call(*args: Any, **kwargs: Any) -> Any:
        return _imported(module, name)(*args, **kwargs)

    call.__name__ = call.__qualname__ = name
    call.__module__ = module
    return call


class LazySequence(Sequence[Any]):
    """``module.name`` (a sequence), imported on first use (as :func:`lazy_function`)."""

    def __init__(self, module: str, name: str) -> None:
        self.module, self.name = module, name

    def _items(self) -> Sequence[Any]:
        return _imported(self.module, self.name)

    def __getitem__(self, index: Any) -> Any:
        return self._items()[index]

    def __len__(self) -> int:
        return len(self._items())

    def __repr__(self) -> str:
        return f"LazySequence({self.module}.{self.name})"
