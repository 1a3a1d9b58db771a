"""Errors a user can fix, and how a command reports them: one line, no traceback.

``UserError`` marks a problem with what was asked for (a config, a path, a run in use), whose
message says what to do. Commands also report the built-in errors this project raises for bad
input (``ValueError``, ``FileNotFoundError``, ...) the same way, also when Hydra wrapped them
while instantiating a config. ``COLORIZATION_TRACEBACK=1`` shows the full traceback instead.
"""

from __future__ import annotations

import errno
import os
import shutil
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

USER_ERRORS = (ValueError, FileNotFoundError, NotADirectoryError, FileExistsError)


class UserError(Exception):
    """A problem with what the user asked for; the message says what to do."""


class RunError(UserError):
    """A run cannot start as asked; the message says why and what to do."""


# Errors that mean "this folder cannot take the file": full, over quota, read-only.
NO_ROOM = (errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES)


def is_no_room(error: BaseException) -> bool:
    """A full, over-quota or read-only folder: an OSError saying so, or torch's zip writer
    failing mid-file (it reports a full disk as ``unexpected pos`` / ``file write failed``)."""
    if isinstance(error, OSError):
        return error.errno in NO_ROOM
    text = str(error)
    return isinstance(error, RuntimeError) and (
        "unexpected pos" in text or "file write failed" in text
    )


def no_room_message(
    folder: Path, needed: int | None = None, error: BaseException | None = None
) -> str:
    """One line naming the folder and what is wrong with it: read-only or not the user's (for
    an ``error`` saying so), else full (its free space, and what is needed)."""
    if isinstance(error, OSError) and error.errno in (errno.EROFS, errno.EACCES):
        return (
            f"Cannot write to {folder}: {error.strerror or 'permission denied'} (a read-only "
            "folder, or one that is not yours). Give a folder you can write to."
        )
    try:
        free = f"{shutil.disk_usage(folder).free / 2**20:.0f} MiB free"
    except OSError:
        free = "free space unknown"
    need = f"; about {needed / 2**20:.0f} MiB are needed" if needed else ""
    return (
        f"Cannot write to {folder} ({free}{need}). Free some space or write to another disk "
        "(a training: paths.log_dir); what was written there before is intact."
    )


def first_line(error: BaseException) -> str:
    """The first line of an error's message (its type's name when it has none): what a one-line
    message quotes of a library's multi-line error."""
    return (str(error).strip().splitlines() or [type(error).__name__])[0]


def user_error(error: BaseException) -> BaseException | None:
    """The user-fixable error behind ``error`` (Hydra wraps an error raised while instantiating
    a config; a full disk met by a log writer becomes one naming the folder), or ``None``."""
    if os.environ.get("COLORIZATION_TRACEBACK") == "1":
        return None
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, OSError) and is_no_room(seen):
            if not seen.filename:  # a writer that did not say where: never guess a folder
                return UserError(
                    f"A write failed: {seen.strerror or seen} (a full, over-quota or read-only "
                    "disk). Free some space or write to another disk (a training: "
                    "paths.log_dir); what was written there before is intact."
                )
            return UserError(no_room_message(Path(seen.filename).parent, error=seen))
        if isinstance(seen, (UserError, *USER_ERRORS)):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


def exit_on_user_error(error: BaseException, say: Callable[[str], object]) -> None:
    """A command's last word on ``error``: a user-fixable one is said in one line and the
    process exits with status 2; for anything else this returns and the caller re-raises."""
    problem = user_error(error)
    if problem is not None:
        say(str(problem))
        sys.exit(2)


def problem_of(error: BaseException) -> str:
    """The one line of a user-fixable ``error``, for a command that goes on past the item it
    failed on; anything else is raised again."""
    problem = user_error(error)
    if problem is None:
        raise error
    return str(problem)


def exit_with_failures(failures: Sequence[tuple[object, str]], what: str) -> None:
    """A multi-item command's last word when some items failed (after the others were done):
    ``error: <what>:``, then one line per item and its reason, and exit status 1."""
    if not failures:
        return
    print(f"error: {what}:", file=sys.stderr)
    for item, problem in failures:
        print(f"  {item}: {problem}", file=sys.stderr)
    sys.exit(1)
