"""How commands word the errors a user can fix."""

from __future__ import annotations

import errno
from pathlib import Path

from colorization.errors import user_error


def test_a_read_only_folder_is_not_called_full(tmp_path: Path) -> None:
    error = OSError(errno.EROFS, "Read-only file system", str(tmp_path / "out" / "m.onnx"))
    message = str(user_error(error))
    assert message.startswith(f"Cannot write to {tmp_path / 'out'}: Read-only file system")
    assert "Give a folder you can write to" in message and "Free some space" not in message


def test_a_full_disk_says_how_much_is_free(tmp_path: Path) -> None:
    error = OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "m.onnx"))
    message = str(user_error(error))
    assert message.startswith(f"Cannot write to {tmp_path} (") and "MiB free" in message
    assert "Free some space" in message


def test_a_full_disk_with_no_file_named_never_names_the_current_folder() -> None:
    """Once "Cannot write to <the current folder> (73362 MiB free)" for a disk elsewhere."""
    message = str(user_error(OSError(errno.ENOSPC, "No space left on device")))
    assert message.startswith("A write failed: No space left on device") and "Cannot" not in message
    assert str(Path.cwd()) not in message
