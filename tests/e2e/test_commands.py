"""Every user command answers --help (exit 0, its usage) without training anything."""

from __future__ import annotations

import subprocess
import sys

import pytest

COMMANDS = ["train", "evaluate", "report", "predict", "bench", "models"]


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(command: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", f"colorization.{command}", "--help"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "usage" in result.stdout.lower() or "== Config ==" in result.stdout
