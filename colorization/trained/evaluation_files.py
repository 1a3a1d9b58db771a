"""A run's test results: ``evaluation.json``, ``evaluation.csv`` (a row per protocol, setting and
metric) and ``evaluation_images.csv`` (a row per protocol, setting and image).

The task's own evaluation and each published protocol (``evaluate --protocol NAME``) keep their
rows side by side: writing one replaces only its own rows. ``evaluation.json`` holds the task's
own evaluation at the top level and each published protocol's account (checkpoint, test set,
what it does, the papers, what could not be measured) under ``published[NAME]``; their metric
rows carry the protocol's name.
"""

from __future__ import annotations

import csv
import json
import logging
import math
from pathlib import Path
from typing import Any

from colorization.runs.folder import RunFolder
from colorization.writing import replacing, write_text

log = logging.getLogger(__name__)

FIXED_COLUMNS = ["protocol", "setting", "image", "index", "digest"]
# Evaluation files larger than this are not read (a run's hold a few MiB at most; about 500,000
# image rows; parsed, they take about ten times as much memory).
MAX_EVALUATION_BYTES = 64 * 2**20


def read_evaluation(path: Path) -> dict[str, Any]:
    """evaluation.json as a dict; a ValueError says why it cannot be (too large, not JSON, not
    an object)."""
    if path.stat().st_size > MAX_EVALUATION_BYTES:
        raise ValueError(f"larger than {MAX_EVALUATION_BYTES // 2**20} MiB")
    result = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(result, dict):
        raise ValueError("not a JSON object")
    return result


def _previous(paths: RunFolder) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The results already there (nothing if they are unreadable: they are replaced)."""
    try:
        result = read_evaluation(paths.evaluation)
        if paths.evaluation_images.stat().st_size > MAX_EVALUATION_BYTES:
            raise ValueError(f"{paths.evaluation_images.name} is too large")
        with open(paths.evaluation_images, newline="", encoding="utf-8") as handle:
            images = list(csv.DictReader(handle))
    except FileNotFoundError:
        return {}, []
    except (OSError, ValueError, csv.Error) as error:
        log.warning("The earlier test results of %s are replaced (%s).", paths.root, error)
        return {}, []
    return result, images


def write_evaluation(
    result: dict[str, Any],
    images: list[dict[str, Any]],
    folder: Path,
    published: str | None = None,
) -> dict[str, Any]:
    """Write the task's own evaluation (``published=None``: ``result`` is the top level) or a
    published protocol's (``result`` is its account, ``result["metrics"]`` its rows), keeping
    the other's rows. Returns what evaluation.json now holds."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = RunFolder(folder)
    previous, previous_images = _previous(paths)
    accounts = dict(previous.get("published") or {})
    if published is None:
        keep = set(accounts)
        merged = {**result}
    else:
        keep = ({row.get("protocol") for row in previous.get("metrics", [])} | set(accounts)) - {
            published
        }
        accounts[published] = {k: v for k, v in result.items() if k != "metrics"}
        merged = {k: v for k, v in previous.items() if k != "metrics"}
        merged.setdefault("run", str(paths.root))
    rows = [row for row in previous.get("metrics", []) if row.get("protocol") in keep]
    merged["metrics"] = rows + list(result["metrics"])
    if accounts:
        merged["published"] = accounts
    images = [row for row in previous_images if row.get("protocol") in keep] + list(images)
    write_text(paths.evaluation, json.dumps(merged, indent=2) + "\n")
    with replacing(paths.evaluation.with_suffix(".csv"), newline="") as handle:
        # the report's labels stay in evaluation.json: this table is for reading
        columns = ["protocol", "setting", "metric", "value"]
        writer = csv.DictWriter(handle, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(_plain(row) for row in merged["metrics"])
    columns = FIXED_COLUMNS + sorted({k for row in images for k in row} - set(FIXED_COLUMNS))
    with replacing(paths.evaluation_images, newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        writer.writerows(_plain(row) for row in images)
    return merged


def _plain(row: dict[str, Any]) -> dict[str, Any]:
    """NaN (a score an image does not have) written as an empty cell."""
    return {k: "" if isinstance(v, float) and math.isnan(v) else v for k, v in row.items()}
