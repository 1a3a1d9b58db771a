"""The tasks: one sub-package per task (its LightningModule, what predict, evaluate, export and
the page need of it, and its ``PLUGIN``: :mod:`.plugin`), on the shared
:class:`~colorization.tasks.base.ImageToImageTask`.

``colorization.tasks.<TaskClass>`` (the path configs of earlier versions name) finds the class
through the registry, imported on first use."""

from __future__ import annotations

from typing import Any


def __getattr__(name: str) -> Any:
    from colorization.tasks.registry import task_plugins

    for plugin in task_plugins().values():
        if plugin.class_name == name:
            return plugin.load_task_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
