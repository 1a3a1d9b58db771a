"""Shared fixtures: configs composed through the real Hydra files, pointed at ``tmp_path``."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import pytest
from omegaconf import DictConfig

from colorization.config import compose

# Tiny but real: every test run trains the same code paths as a user's run, only smaller.
TINY = (
    "model.base_width=4",
    "model.depth=2",
    "data.image_size=32",
    "data.batch_size=4",
    "data.train_samples_per_epoch=8",
    "data.num_workers=0",
    "trainer.max_epochs=1",
    "trainer.accelerator=cpu",
    "print_config=false",
)


@pytest.fixture
def make_cfg(tmp_path: Path) -> Callable[..., DictConfig]:
    """``make_cfg(*overrides)`` -> a tiny training config writing into ``tmp_path``."""

    def factory(*overrides: str, tiny: bool = True) -> DictConfig:
        base: Sequence[str] = TINY if tiny else ()
        return compose([*base, *overrides], output_dir=tmp_path)

    return factory
