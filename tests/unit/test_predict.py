"""python -m colorization.predict: errors before any work."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from colorization.predict import load_task


def test_predict_explains_a_checkpoint_outside_its_run(tmp_path: Path) -> None:
    checkpoint = tmp_path / "model.ckpt"
    checkpoint.write_bytes(b"")
    with pytest.raises(FileNotFoundError, match="must stay in its run folder"):
        load_task(checkpoint)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_task(tmp_path / "missing.ckpt")


def run_predict(*arguments: str) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "colorization.predict", *arguments]
    return subprocess.run(command, capture_output=True, text=True, timeout=120)


def test_bad_paths_are_named_in_one_line_before_the_model_loads(tmp_path: Path) -> None:
    checkpoint = tmp_path / "run" / "checkpoints" / "last.ckpt"
    checkpoint.parent.mkdir(parents=True)
    checkpoint.write_bytes(b"not even a checkpoint: loading it would fail differently")
    (tmp_path / "images").mkdir()
    (tmp_path / "a_file.png").write_bytes(b"")
    cases = [
        ((str(tmp_path / "missing.ckpt"), str(tmp_path), "out"), "checkpoint: "),
        ((str(checkpoint), str(tmp_path / "nowhere"), "out"), "Set the inputs argument"),
        ((str(checkpoint), str(tmp_path / "images"), str(tmp_path / "a_file.png")), "outputs: "),
    ]
    for arguments, expected in cases:
        result = run_predict(*arguments)
        assert result.returncode == 2
        assert result.stderr.startswith("error: ") and expected in result.stderr
        assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
