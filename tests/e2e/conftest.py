"""Trained tiny runs of each task, shared by the tests that use a trained model (prediction,
export, the app): trained once per test session."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import FLARE, train_run

SEGMENTATION = ("task=segmentation", "data.val_samples=2")


@pytest.fixture(scope="session")
def trained_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """task name -> a run folder trained for one tiny epoch."""
    root = tmp_path_factory.mktemp("trained")
    return {
        "colorization": train_run(root / "colorization"),
        "segmentation": train_run(root / "segmentation", *SEGMENTATION),
        "flare": train_run(root / "flare", *FLARE),
    }
