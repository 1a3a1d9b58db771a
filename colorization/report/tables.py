"""The leaderboard: one row per readable run (CSV with every column, Markdown with the main
ones), best run first; broken runs listed apart with their reason."""

from __future__ import annotations

import csv
import logging
from pathlib import Path
from typing import Any

from colorization.report.collect import RunRecord, config_value, differing_keys
from colorization.report.cost import parameters_and_gflops

log = logging.getLogger(__name__)


def test_label(metric: str, protocol: str, setting: str) -> str:
    """``test psnr`` (the run's own hints, or the task's only protocol), ``test psnr @1%``,
    ``test psnr @5pt``."""
    if protocol == "random_pixels":
        return f"test {metric} @{setting}"
    if protocol == "geometric_points":
        return f"test {metric} @{setting.split()[0]}pt"
    return f"test {metric}"


def test_columns(record: RunRecord) -> dict[str, float]:
    """Test metrics from the run's evaluation.json, one column per metric and hint setting."""
    if not record.evaluation:
        return {}
    return {
        test_label(row["metric"], row["protocol"], row["setting"]): float(row["value"])
        for row in record.evaluation.get("metrics", [])
    }


def leaderboard(records: list[RunRecord]) -> tuple[list[dict[str, Any]], list[str]]:
    """Rows (best first) and the Markdown columns."""
    ok = [r for r in records if r.ok]
    keys = differing_keys(ok)
    rows = []
    for record in ok:
        best = record.best_row
        try:
            parameters, gflops = parameters_and_gflops(record.run)
        except Exception as error:  # a model that no longer builds: say so, keep the row
            log.warning("%s: could not measure the network (%s)", record.name, error)
            parameters, gflops = None, None
        row: dict[str, Any] = {"run": record.name}
        row.update({key: config_value(record, key) for key in keys})
        row.update(
            {
                "params (M)": None if parameters is None else round(parameters / 1e6, 3),
                "GFLOPs": None if gflops is None else round(gflops, 3),
                "best epoch": int(best["epoch"]),
                "epochs": len(record.history),
                f"best {record.run.monitor}": float(best[record.run.monitor]),
            }
        )
        row.update({k: float(v) for k, v in best.items() if k.startswith("val/") and v})
        row.update(test_columns(record))
        row.update(
            {
                "train time (s)": record.train_seconds,
                "img/s": record.images_per_second,
                "status": ("running" if record.running else "finished")
                + (f", test {record.evaluation_state}" if record.evaluation_state else ""),
            }
        )
        rows.append(row)
    monitors = monitors_of(ok)
    if len(monitors) == 1:
        monitor = f"best {next(iter(monitors))}"
        maximize = ok[0].run.maximize
        rows.sort(key=lambda r: r[monitor], reverse=maximize)
    shown = ["run", *keys, "params (M)", "GFLOPs", "best epoch", "epochs"]
    shown += sorted({k for r in rows for k in r if k.startswith("best ") and k != "best epoch"})
    # Markdown: the monitored metric's test values without hints, at each random-pixel density,
    # and with the run's own hints (the CSV has every metric and protocol).
    main = {m.split("/")[-1] for m in monitors_of(ok)}
    tests = {k for r in rows for k in r if k.startswith("test ") and k.split()[1] in main}
    shown += sorted(k for k in tests if not k.endswith("pt"))
    shown += ["train time (s)", "img/s", "status"]
    return rows, shown


def monitors_of(records: list[RunRecord]) -> set[str]:
    return {r.run.monitor for r in records}


def write_csv(rows: list[dict[str, Any]], path: Path) -> None:
    columns: list[str] = []
    for row in rows:
        columns += [c for c in row if c not in columns]
    with open(path, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)


def cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.4f}" if abs(value) < 100 else f"{value:.1f}"
    return str(value).replace("|", "\\|")


def markdown(rows: list[dict[str, Any]], columns: list[str], broken: list[RunRecord]) -> str:
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(cell(row.get(c)) for c in columns) + " |" for row in rows]
    if broken:
        lines += ["", "Runs left out:", ""]
        lines += [f"- `{r.name}`: {r.problem}" for r in broken]
    return "\n".join(lines) + "\n"
