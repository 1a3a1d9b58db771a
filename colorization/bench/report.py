"""Benchmark results as a Markdown table (stdout) and as rows appended to a CSV file."""

from __future__ import annotations

import csv
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

# (CSV column, table header, format) for the columns shown in the table.
TABLE_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("model", "model", "{}"),
    ("kind", "row", "{}"),
    ("loop", "loop", "{}"),
    ("source", "data", "{}"),
    ("precision", "precision", "{}"),
    ("layout", "layout", "{}"),
    ("compile", "compile", "{}"),
    ("images_per_s", "img/s", "{:.2f}"),
    ("spread", "spread", "{:.0%}"),
    ("step_ms", "ms/step", "{:.0f}"),
    ("steps", "steps", "{}"),
    ("vs_baseline", "x baseline", "{:.2f}"),
    ("gflops", "GFLOP/s", "{:.0f}"),
    ("of_peak", "% of matmul peak", "{:.0%}"),
    ("peak_mib", "peak MiB", "{:.0f}"),
    ("data_wait", "data wait", "{:.1%}"),
    ("val_value", "val metric", "{:.2f}"),
)


# Every CSV file gets these columns in this order, so files from different runs line up.
CSV_COLUMNS = (
    "timestamp",
    "device",
    "torch",
    "command",
    "model",
    "kind",
    "role",
    "loop",
    "source",
    "precision",
    "layout",
    "compile",
    "base_width",
    "image_size",
    "batch_size",
    "steps",
    "repeats",
    "images_per_s",
    "spread",
    "step_ms",
    "vs_baseline",
    "gflops",
    "of_peak",
    "peak_mib",
    "data_wait",
    "val_metric",
    "val_value",
    "num_workers",
)


def _cell(value: Any, fmt: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return fmt.format(value)


def markdown_table(rows: Sequence[dict[str, Any]]) -> str:
    header = "| " + " | ".join(title for _, title, _ in TABLE_COLUMNS) + " |"
    rule = "|" + "|".join("---" if fmt == "{}" else "---:" for _, _, fmt in TABLE_COLUMNS) + "|"
    lines = [header, rule]
    for row in rows:
        cells = (_cell(row.get(key), fmt) for key, _, fmt in TABLE_COLUMNS)
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def append_csv(path: Path, rows: Sequence[dict[str, Any]]) -> None:
    """Append ``rows`` to ``path`` so that runs on different days or machines can be compared
    in one file. A new file gets a header of :data:`CSV_COLUMNS`; an existing one keeps its
    own columns."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fields = list(CSV_COLUMNS)
    new = not path.exists() or path.stat().st_size == 0
    if not new:
        with path.open(newline="") as handle:
            fields = next(csv.reader(handle), fields)
    with path.open("a", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields, extrasaction="ignore")
        if new:
            writer.writeheader()
        writer.writerows(rows)
