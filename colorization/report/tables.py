"""The leaderboard: one row per configuration (its seeds averaged, each metric with a 95 %
interval over them), best first; CSV with every column, Markdown with the main ones formatted
for reading; broken runs listed apart with their reason."""

from __future__ import annotations

import csv
import logging
import math
import statistics
from pathlib import Path
from typing import Any

from colorization.report.collect import RunRecord, config_value
from colorization.report.columns import hidden_columns, result_columns
from colorization.report.configurations import Configuration
from colorization.report.cost import parameters_and_gflops
from colorization.report.statistics import decimals_for, t_interval
from colorization.writing import replacing

log = logging.getLogger(__name__)

CI_SUFFIX = "_ci95"


def run_metrics(record: RunRecord) -> dict[str, float]:
    """A run's metrics: the best validation epoch's and its test results."""
    best = record.best_row
    metrics = {f"best {record.run.monitor}": float(best[record.run.monitor])}
    metrics.update({k: float(v) for k, v in best.items() if k.startswith("val/") and v})
    metrics.update(result_columns(record))
    return metrics


def mean_and_interval(values: list[float]) -> tuple[float | None, float | None]:
    finite = [v for v in values if v is not None and math.isfinite(v)]
    if not finite:
        return None, None
    return statistics.fmean(finite), t_interval(finite)


def leaderboard(
    configurations: list[Configuration], keys: list[str]
) -> tuple[list[dict[str, Any]], list[str]]:
    """Rows (best first) and the Markdown columns. Every metric column ``m`` has ``m_ci95``
    beside it: the half-width of the Student t 95 % interval over the configuration's seeds
    (empty with one seed)."""
    rows = []
    for configuration in configurations:
        first = configuration.first
        try:
            parameters, gflops = parameters_and_gflops(first.run)
        except Exception as error:  # a model that no longer builds: say so, keep the row
            log.warning("%s: could not measure the network (%s)", first.name, error)
            parameters, gflops = None, None
        row: dict[str, Any] = {"configuration": configuration.label}
        row.update({key: config_value(first, key) for key in keys})
        row.update(
            {
                "seeds": len(configuration.runs),
                "params (M)": None if parameters is None else parameters / 1e6,
                "GFLOPs": gflops,
                "best epoch": whole_if_whole(
                    statistics.fmean(int(r.best_row["epoch"]) for r in configuration.runs)
                ),
                "epochs": max(len(r.history) for r in configuration.runs),
            }
        )
        per_run = [run_metrics(r) for r in configuration.runs]
        for name in dict.fromkeys(k for metrics in per_run for k in metrics):
            mean, interval = mean_and_interval([m.get(name, math.nan) for m in per_run])
            row[name], row[f"{name}{CI_SUFFIX}"] = mean, interval
        seconds = [r.train_seconds for r in configuration.runs if r.train_seconds is not None]
        speeds = [r.images_per_second for r in configuration.runs if r.images_per_second]
        row["train time (s)"] = statistics.fmean(seconds) if seconds else None
        row["img/s"] = statistics.fmean(speeds) if speeds else None
        row["status"] = status(configuration.runs)
        row["runs"] = "; ".join(r.name for r in configuration.runs)
        row["seed values"] = " ".join(configuration.seeds)
        rows.append(row)
    rank_by = ranking_column(configurations, rows)
    if rank_by is not None:
        maximize = configurations[0].maximize
        rows.sort(
            key=lambda r: (
                r.get(rank_by) is None,
                -(r.get(rank_by) or 0) if maximize else (r.get(rank_by) or 0),
            )
        )
    shown = ["configuration", *keys, "seeds", "params (M)", "GFLOPs", "best epoch", "epochs"]
    shown += sorted(
        {
            k
            for r in rows
            for k in r
            if k.startswith("best ") and not k.endswith(CI_SUFFIX) and k != "best epoch"
        }
    )
    # Markdown: the monitored metric's test values under each protocol and setting that asks to
    # be summarised (the CSV has every metric and protocol).
    main = {c.main_metric for c in configurations}
    hidden = {k for c in configurations for r in c.runs for k in hidden_columns(r)}
    tests = {k for r in rows for k in r if k.startswith("test ") and not k.endswith(CI_SUFFIX)}
    shown += sorted(k for k in tests if k.split()[1] in main and k not in hidden)
    shown += ["train time (s)", "img/s", "status"]
    return rows, shown


def ranking_column(configurations: list[Configuration], rows: list[dict[str, Any]]) -> str | None:
    """The column the leaderboard is sorted by: the main metric's test value under the first
    protocol where every configuration has one, else the best validation value (None when the
    configurations follow different metrics)."""
    monitors = {c.monitor for c in configurations}
    if len(monitors) != 1:
        return None
    main = configurations[0].main_metric
    test = f"test {main}"
    if all(row.get(test) is not None for row in rows):
        return test
    return f"best {next(iter(monitors))}"


def status(runs: list[RunRecord]) -> str:
    running = sum(r.running for r in runs)
    states = sorted({r.evaluation_state for r in runs if r.evaluation_state})
    text = (
        "finished"
        if not running
        else f"{running} of {len(runs)} running"
        if len(runs) > 1
        else "running"
    )
    return text + (f", test {' and '.join(states)}" if states else "")


def write_csv(rows: list[dict[str, Any]], path: Path) -> None:
    columns: list[str] = []
    for row in rows:
        columns += [c for c in row if c not in columns]
    with replacing(path, newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)


def cell(value: Any, column: str = "", interval: float | None = None) -> str:
    """A value for reading: parameters in millions with 2 decimals, seconds without decimals,
    a metric with its interval (``27.4 ± 1.2``, as many decimals as the interval supports)."""
    if value is None:
        return ""
    if isinstance(value, float):
        if not math.isfinite(value):
            return str(value)
        if column == "params (M)":
            return f"{value:.2f}"
        if column in ("train time (s)",):
            return f"{value:.0f}"
        if column == "best epoch" and value.is_integer():
            return f"{value:.0f}"
        if column in ("GFLOPs", "img/s", "best epoch"):
            return f"{value:.1f}" if column != "GFLOPs" else f"{value:.2f}"
        decimals = decimals_for(interval)
        if interval is not None:
            return f"{value:.{decimals}f} ± {interval:.{decimals}f}"
        return f"{value:.{decimals}f}"
    return str(value)


def whole_if_whole(value: float) -> float | int:
    """An epoch number as an integer when it is one (a mean over seeds may not be)."""
    return int(value) if value.is_integer() else value


def row_cells(row: dict[str, Any], columns: list[str]) -> list[str]:
    return [cell(row.get(c), c, row.get(f"{c}{CI_SUFFIX}")) for c in columns]


Table = tuple[list[str], list[list[str]]]  # header, rows of cells


def leaderboard_cells(
    rows: list[dict[str, Any]], columns: list[str], verdicts: dict[str, str] | None = None
) -> Table:
    """The leaderboard's header and cells; with ``verdicts`` (configuration -> its verdict
    against the best on the test set), a ``vs best`` column marks those not told apart."""
    header = [*columns[:1], "vs best", *columns[1:]] if verdicts else list(columns)
    cells = []
    for row in rows:
        shown = row_cells(row, columns)
        if verdicts:
            shown.insert(1, verdicts.get(row["configuration"], ""))
        cells.append(shown)
    return header, cells


def leaderboard_notes(rows: list[dict[str, Any]]) -> list[str]:
    single = [row["configuration"] for row in rows if row["seeds"] == 1]
    if single and len(single) == len(rows):
        return ["One seed per configuration: no interval over seeds (train more: seed=0,1,2)."]
    return [f"One seed, so no interval: {', '.join(single)}."] if single else []


def markdown_table(table: Table) -> list[str]:
    header, cells = table
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return lines + ["| " + " | ".join(c.replace("|", "\\|") for c in row) + " |" for row in cells]


def markdown(
    rows: list[dict[str, Any]],
    columns: list[str],
    broken: list[RunRecord],
    verdicts: dict[str, str] | None = None,
) -> str:
    """The leaderboard as Markdown, its notes, and the runs left out."""
    lines = markdown_table(leaderboard_cells(rows, columns, verdicts))
    notes = leaderboard_notes(rows)
    lines += ["", *notes] if notes else []
    if broken:
        lines += ["", "Runs left out:", ""]
        lines += [f"- `{r.name}`: {r.problem}" for r in broken]
    return "\n".join(lines) + "\n"


COMPARISONS_NOTE = (
    "A - B: mean over images of the per-image difference of the seed means; interval: bootstrap "
    "over images and seeds; p: Wilcoxon signed-rank over images, Holm-adjusted over the pairs of "
    "each protocol; verdict: A against B (tie: not told apart at 5 %); detectable: the smallest "
    "difference these images detect 80 % of the time."
)


def comparison_cells(rows: list[dict[str, Any]]) -> Table:
    """Per protocol and pair: A - B with its interval, Holm-adjusted p-value, verdict, the
    images and seeds it rests on, the smallest detectable difference, and a note."""
    header = ["protocol", "A", "B", "A - B [95 % interval]", "p (Holm)", "verdict"]
    header += ["images x seeds", "detectable", "note"]
    cells = []
    for row in rows:
        protocol = f"{row['protocol']} {row['setting']}".strip() + f" ({row['metric']})"
        if "difference" not in row:
            cells.append(
                [protocol, row["a"], row["b"], "", "", row["verdict"], "", "", row["note"]]
            )
            continue
        decimals = decimals_for((row["ci95_high"] - row["ci95_low"]) / 2)

        def signed(value: float, decimals: int = decimals) -> str:
            return f"{value:+.{decimals}f}"

        interval = f"[{signed(row['ci95_low'])}, {signed(row['ci95_high'])}]"
        cells.append(
            [
                protocol,
                row["a"],
                row["b"],
                f"{signed(row['difference'])} {interval}",
                f"{row['p_holm']:.2g}",
                row["verdict"],
                f"{row['images']} x {row['seeds_a']}/{row['seeds_b']}",
                f"{row['detectable']:.{decimals}f}",
                row["note"],
            ]
        )
    return header, cells


def comparisons_markdown(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return "No pairs to compare: one configuration only.\n"
    return "\n".join([*markdown_table(comparison_cells(rows)), "", COMPARISONS_NOTE]) + "\n"
