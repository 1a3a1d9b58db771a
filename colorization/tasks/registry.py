"""The tasks there are: every sub-package of :mod:`colorization.tasks` that defines a ``PLUGIN``
(:class:`~colorization.tasks.plugin.TaskPlugin`). Commands look tasks up here, by name or from a
run's config, and never name one themselves."""

from __future__ import annotations

import argparse
import functools
import importlib
import pkgutil
from typing import Any

from omegaconf import DictConfig, OmegaConf

from colorization.compat import task_class_name
from colorization.tasks.plugin import Option, TaskPlugin

_PACKAGE = "colorization.tasks"


@functools.cache
def task_plugins() -> dict[str, TaskPlugin]:
    """name -> plugin, for every task package (imported light: no LightningModule)."""
    package = importlib.import_module(_PACKAGE)
    plugins: dict[str, TaskPlugin] = {}
    for module in pkgutil.iter_modules(package.__path__):
        if not module.ispkg:
            continue
        plugin = getattr(importlib.import_module(f"{_PACKAGE}.{module.name}"), "PLUGIN", None)
        if isinstance(plugin, TaskPlugin):
            plugins[plugin.name] = plugin
    return dict(sorted(plugins.items()))


def task_plugin(name: str) -> TaskPlugin:
    """The plugin of task ``name``; an unknown name stops with the known ones."""
    plugins = task_plugins()
    if name not in plugins:
        raise ValueError(f"Unknown task {name!r}: this version knows {', '.join(plugins)}.")
    return plugins[name]


def plugin_of_config(config: DictConfig) -> TaskPlugin:
    """The plugin of a run's config, by its task's class (``task._target_``; older runs name
    the class by another module path, so the class name decides)."""
    target = str(OmegaConf.select(config, "task._target_", default=""))
    name = task_class_name(target)
    for plugin in task_plugins().values():
        if plugin.class_name == name:
            return plugin
    known = ", ".join(task_plugins())
    raise ValueError(
        f"The run's task {target or '(none)'} is not a task of this version (it knows {known})."
    )


def _options(plugin: TaskPlugin, command: str) -> tuple[Option, ...]:
    """The options a task adds to ``command`` (``predict`` or ``evaluate``)."""
    return getattr(plugin, command).options


def add_task_options(parser: argparse.ArgumentParser, command: str) -> None:
    """Add every task's options of ``command`` (``predict`` or ``evaluate``) to ``parser``,
    one group per set of tasks sharing an option."""
    owners: dict[tuple[str, ...], list[str]] = {}
    first: dict[tuple[str, ...], Option] = {}
    for plugin in task_plugins().values():
        for option in _options(plugin, command):
            owners.setdefault(option.flags, []).append(plugin.name)
            first.setdefault(option.flags, option)
    groups: dict[str, Any] = {}  # title -> argparse's argument group
    for flags, names in owners.items():
        title = ", ".join(names)
        if title not in groups:
            groups[title] = parser.add_argument_group(title)
        groups[title].add_argument(*flags, **first[flags].settings)


def options_of_other_tasks(plugin: TaskPlugin, command: str, args: argparse.Namespace) -> list[str]:
    """The flags given in ``args`` that only other tasks than ``plugin``'s accept."""
    own = {option.dest for option in _options(plugin, command)}
    given = []
    for other in task_plugins().values():
        for option in _options(other, command):
            value = getattr(args, option.dest, None)
            if (
                option.dest not in own
                and value not in (None, False)
                and option.flags[0] not in given
            ):
                given.append(option.flags[0])
    return given
