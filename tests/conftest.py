"""Shared fixtures: configs composed through the real Hydra files, pointed at ``tmp_path``.

tests/unit/ mirrors the package (the tests of ``colorization/training/oom.py`` are in
``tests/unit/tasks/test_oom.py``); tests/e2e/ holds the runs that train, resume or call a
command, marked ``e2e`` here (``pytest -m "not e2e"`` runs the unit tests alone).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pytest
import torch
from helpers import tiny as tiny_for
from omegaconf import DictConfig
from torch import nn

from colorization.config import compose


@pytest.fixture
def make_cfg(tmp_path: Path) -> Callable[..., DictConfig]:
    """``make_cfg(*overrides)`` -> a tiny training config writing into ``tmp_path``."""

    def factory(*overrides: str, tiny: bool = True) -> DictConfig:
        base: Sequence[str] = tiny_for(overrides) if tiny else ()
        return compose([*base, *overrides], output_dir=tmp_path)

    return factory


@pytest.fixture(scope="session")
def photo_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small photo store (``python -m colorization.prepare`` of generated photos)."""
    from helpers import write_images

    from colorization.prepare import prepare

    root = tmp_path_factory.mktemp("store")
    write_images(root / "photos", 8, size=(70, 50))
    store, _, _ = prepare([str(root / "photos")], root / "store", short_side=48)
    return Path(store)


class FlakyLoss(nn.Module):
    """L1, except NaN on the training calls listed in ``bad_calls`` (counted from 0)."""

    def __init__(self, bad_calls: set[int]) -> None:
        super().__init__()
        self.bad_calls = bad_calls
        self.calls = 0

    def forward(self, pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        loss = (pred - target).abs().mean()
        if self.training:
            self.calls += 1
            if self.calls - 1 in self.bad_calls:
                return loss * float("nan")
        return loss


@pytest.fixture
def flaky_loss() -> type[FlakyLoss]:
    """``flaky_loss(bad_calls={...})``: an L1 loss that is NaN on the chosen training calls."""
    return FlakyLoss


def pytest_configure(config: pytest.Config) -> None:
    """Machine measurements (colorization.hardware's cache) go to a folder of this session, not
    the user's ~/.cache; commands the tests start inherit it."""
    os.environ["XDG_CACHE_HOME"] = tempfile.mkdtemp(prefix="colorization-test-cache-")


def pytest_unconfigure(config: pytest.Config) -> None:
    shutil.rmtree(os.environ.get("XDG_CACHE_HOME", ""), ignore_errors=True)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    e2e = Path(__file__).parent / "e2e"
    for item in items:
        if e2e in Path(item.fspath).parents:
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A PostgreSQL server started for the session (skipped with its reason where it cannot)."""
    from servers import postgres_server

    with postgres_server() as url:
        yield url
