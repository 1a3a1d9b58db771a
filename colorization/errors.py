"""Errors a user can fix, and how a command reports them: one line, no traceback.

``UserError`` marks a problem with what was asked for (a config, a path, a run in use), whose
message says what to do. Commands also report the built-in errors this project raises for bad
input (``ValueError``, ``FileNotFoundError``, ...) the same way, also when Hydra wrapped them
while instantiating a config. ``COLORIZATION_TRACEBACK=1`` shows the full traceback instead.
"""

from __future__ import annotations

import os

USER_ERRORS = (ValueError, FileNotFoundError, NotADirectoryError, FileExistsError)


class UserError(Exception):
    """A problem with what the user asked for; the message says what to do."""


def user_error(error: BaseException) -> BaseException | None:
    """The user-fixable error behind ``error`` (Hydra wraps an error raised while instantiating
    a config), or ``None`` for anything else."""
    if os.environ.get("COLORIZATION_TRACEBACK") == "1":
        return None
    seen = error
    while seen is not None:
        if isinstance(seen, (UserError, *USER_ERRORS)):
            return seen
        seen = seen.__cause__
    return None
