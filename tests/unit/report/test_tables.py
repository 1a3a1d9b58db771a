"""Test-metric columns of the leaderboard: the task's own rows and a published protocol's."""

from __future__ import annotations

from pathlib import Path

from colorization.report import tables
from colorization.report.collect import RunRecord


def test_published_protocol_rows_get_their_own_columns() -> None:
    rows = [
        {"protocol": "run_hints", "setting": "as in validation", "metric": "psnr", "value": 26.0},
        {"protocol": "random_pixels", "setting": "1%", "metric": "psnr", "value": 24.0},
        {"protocol": "interactive-224", "setting": "10 hints", "metric": "psnr", "value": 19.5},
        {"protocol": "dataset-iou", "setting": "", "metric": "miou", "value": 0.4},
    ]
    published = {"interactive-224": {}, "dataset-iou": {}}
    record = RunRecord("r", Path("r"), evaluation={"metrics": rows, "published": published})
    assert tables.result_columns(record) == {
        "test psnr": 26.0,
        "test psnr @1%": 24.0,
        "interactive-224 psnr @10 hints": 19.5,
        "dataset-iou miou": 0.4,
    }


def test_a_best_epoch_shows_as_a_whole_number_unless_seeds_differ() -> None:
    assert tables.whole_if_whole(0.0) == 0 and isinstance(tables.whole_if_whole(3.0), int)
    assert tables.cell(0.0, "best epoch") == "0" and tables.cell(2.5, "best epoch") == "2.5"
