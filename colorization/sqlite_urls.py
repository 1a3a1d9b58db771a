"""SQLite databases named by URL (``sqlite:///<path>``), as Optuna's and MLflow's stores take
them: one rule for a relative path, shared by the search's study and the MLflow store."""

from __future__ import annotations

import os
from pathlib import Path

SQLITE = "sqlite:///"


def sqlite_url(path: os.PathLike | str) -> str:
    return f"{SQLITE}{os.fspath(path)}"


def absolute_sqlite_url(url: str, make_folder: bool = False) -> str:
    """A SQLite URL with a relative path made absolute (taken from the launch directory), so
    that processes started elsewhere (a run's ranks, a search's trials, later commands) open
    the same file; its folder made with ``make_folder``. Other URLs, absolute paths and
    ``:memory:`` are returned as they are."""
    if not url.startswith(SQLITE) or url.startswith(SQLITE + "/"):
        return url
    relative = url.removeprefix(SQLITE)
    if not relative or relative == ":memory:":
        return url
    path = Path(relative).expanduser().resolve()
    if make_folder:
        path.parent.mkdir(parents=True, exist_ok=True)
    return sqlite_url(path)
