"""Benchmark results: naming and summarising rows, a Markdown table (stdout) and rows appended
to a CSV file."""

from __future__ import annotations

import csv
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch

from colorization.bench.measure import Setting
from colorization.hardware import resolve_channels_last, resolve_precision

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


def append_csv(
    path: Path, rows: Sequence[dict[str, Any]], columns: Sequence[str] = CSV_COLUMNS
) -> None:
    """Append ``rows`` to ``path`` so that runs on different days or machines can be compared
    in one file. A new file gets a header of ``columns``; an existing one keeps its own."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fields = list(columns)
    new = not path.exists() or path.stat().st_size == 0
    if not new:
        with path.open(newline="") as handle:
            fields = next(csv.reader(handle), fields)
    with path.open("a", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields, extrasaction="ignore")
        if new:
            writer.writeheader()
        writer.writerows(rows)


def median_run(runs: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The run with the median throughput, with the spread of all runs added."""
    ordered = sorted(runs, key=lambda run: run["images_per_s"])
    chosen = dict(ordered[(len(ordered) - 1) // 2])
    chosen["repeats"] = len(runs)
    chosen["spread"] = (ordered[-1]["images_per_s"] - ordered[0]["images_per_s"]) / chosen[
        "images_per_s"
    ]
    return chosen


def describe(setting: Setting, resolved: dict[str, Any], device: torch.device) -> dict[str, Any]:
    """Table columns naming the row; ``role`` marks the baseline and the default configuration."""
    layout = "channels_last" if resolved["channels_last"] else "NCHW"
    role = ""
    if (setting.loop, resolved["precision"], layout) == ("plain", "32-true", "NCHW"):
        role = "baseline" if setting.source == "memory" else ""
    elif (
        setting.loop == "lightning"
        and not setting.compile
        and (
            resolved["precision"] == resolve_precision("auto", device.type)
            and resolved["channels_last"] == resolve_channels_last("auto", device.type)
        )
    ):
        role = "default"
    return {"source": setting.source, "layout": layout, "compile": setting.compile, "role": role}


def summary(rows: Sequence[dict[str, Any]]) -> list[str]:
    """The ratios the performance goals are stated in."""
    lines = []
    for model in dict.fromkeys(row["model"] for row in rows if row["kind"] == "speed"):
        speed = [row for row in rows if row["model"] == model and row["kind"] == "speed"]
        for row in speed:
            if row["loop"] != "lightning" or row["source"] != "memory" or row["compile"]:
                continue
            plain = next(
                (
                    r
                    for r in speed
                    if r["loop"] == "plain"
                    and r["precision"] == row["precision"]
                    and r["layout"] == row["layout"]
                ),
                None,
            )
            if plain:
                ratio = row["images_per_s"] / plain["images_per_s"]
                lines.append(
                    f"{model}: Lightning / plain loop, {row['precision']} {row['layout']}: "
                    f"{ratio:.3f}x ({overhead(row, plain)})"
                )
        for row in speed:
            if row["role"] != "default":
                continue
            what = f"{model}: default configuration ({row['precision']}, {row['layout']}"
            if row["source"] == "memory":
                lines.append(f"{what}): {row['vs_baseline']:.2f}x the plain fp32 NCHW loop")
            else:
                lines.append(
                    f"{what}) with its DataModule: {row['vs_baseline']:.2f}x the plain fp32 NCHW "
                    f"loop on ready-made batches; data wait {row['data_wait']:.1%} of step time"
                )
        for row in speed:
            if row["compile"] is True:
                lines.append(
                    f"{model}: optimization.compile=true: {row['vs_baseline']:.2f}x baseline"
                )
        quality = {
            row["role"]: row for row in rows if row["model"] == model and row["kind"] == "quality"
        }
        if {"baseline", "default"} <= quality.keys():
            base, default = quality["baseline"], quality["default"]
            lines.append(
                f"{model}: after {base['steps']} training steps {base['val_metric']} "
                f"{default['val_value']:.3f} (default) vs {base['val_value']:.3f} (fp32 NCHW "
                f"plain): {default['val_value'] - base['val_value']:+.3f}"
            )
    cost = {row["loop"]: row for row in rows if row["kind"] == "loop cost"}
    if {"plain", "lightning"} <= cost.keys():
        plain, framework = cost["plain"], cost["lightning"]
        lines.append(
            f"the loop's own cost ({framework['model']}, {framework['precision']} "
            f"{framework['layout']}): {overhead(framework, plain)} (plain "
            f"{plain['step_ms']:.1f} ms, framework {framework['step_ms']:.1f} ms)"
        )
    return lines


def overhead(row: dict[str, Any], plain: dict[str, Any]) -> str:
    """The framework's step time over the plain loop's, in milliseconds."""
    return (
        f"overhead {row['step_ms'] - plain['step_ms']:+.1f} ms per step of {plain['step_ms']:.0f}"
    )
