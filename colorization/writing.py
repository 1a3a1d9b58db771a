"""Writing a file whole or not at all, and never through a link planted in its place.

Commands write into folders others may share (a run folder, a report folder). Opening
``<run>/evaluation.json`` for writing follows a symlink someone put there and overwrites the file
it points to. Here every file is written beside its target (``.<name>.<pid>.partial``, created
new, never following a link) and renamed over it: a rename replaces a link itself, so the file
that was linked to is never touched, and a reader sees the old file or the new one, never half
of one. A failed write (a full disk) removes the partial file and raises an ``OSError`` naming
the file it was for.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

_NEW_FILE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)


@contextlib.contextmanager
def replacing(path: str | Path, mode: str = "w", **open_args: Any) -> Iterator[IO[Any]]:
    """A new file open for writing (``mode`` ``"w"`` or ``"wb"``; ``open_args`` as ``open``'s),
    renamed over ``path`` when the block ends without an error."""
    path = Path(path)
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    if "b" not in mode:
        open_args.setdefault("encoding", "utf-8")
    try:
        descriptor = os.open(partial, _NEW_FILE, 0o666)
        with os.fdopen(descriptor, mode, **open_args) as handle:
            yield handle
        os.replace(partial, path)
    except BaseException as error:
        partial.unlink(missing_ok=True)
        if isinstance(error, OSError) and error.filename in (None, str(partial)):
            raise OSError(error.errno, error.strerror or str(error), str(path)) from error
        raise


def write_text(path: str | Path, text: str) -> None:
    """``path.write_text(text)``, whole or not at all, not through a link (UTF-8)."""
    with replacing(path) as handle:
        handle.write(text)


def write_bytes(path: str | Path, data: bytes) -> None:
    """``path.write_bytes(data)``, whole or not at all, not through a link."""
    with replacing(path, "wb") as handle:
        handle.write(data)
