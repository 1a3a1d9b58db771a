"""The notebooks run top to bottom."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[2] / "notebooks").glob("*.ipynb"))


# compare_runs trains and reports runs of its own (about 12 s): with the slow tests.
SLOW = {"compare_runs.ipynb"}


@pytest.mark.parametrize(
    "notebook",
    [pytest.param(n, marks=pytest.mark.slow) if n.name in SLOW else n for n in NOTEBOOKS],
    ids=lambda p: p.name,
)
def test_notebook_code_cells_run(notebook: Path, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)  # no outputs/ here: the notebook takes its untrained branch

    cells = json.loads(notebook.read_text())["cells"]
    namespace: dict = {}
    for cell in cells:
        if cell["cell_type"] == "code":
            exec(compile("".join(cell["source"]), str(notebook), "exec"), namespace)
    CHECKS[notebook.name](namespace)


def _preview_grid(namespace: dict) -> None:
    assert namespace["grid"].shape[0] == 3


def _leaderboard_and_study(namespace: dict) -> None:
    assert len(namespace["leaderboard"]) == 2  # the two trials of its tiny search
    assert len(namespace["trials"]) == 2


# What each notebook must have produced when its last cell has run.
CHECKS = {
    "compare_runs.ipynb": _leaderboard_and_study,
    "explore_flare.ipynb": _preview_grid,
    "explore_run.ipynb": _preview_grid,
}
