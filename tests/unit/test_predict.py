"""python -m colorization.predict: errors before any work."""

from __future__ import annotations

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
