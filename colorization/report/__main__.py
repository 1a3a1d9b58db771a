"""Compare runs: ``python -m colorization.report <folder> [<folder> ...] [--out DIR]``.

Gathers every run under the folders (single runs, multirun folders, a search's trials, runs
still training), groups runs that differ only in their seed into one configuration, and writes
``leaderboard.csv`` and ``.md`` (one row per configuration: the mean over its seeds and a 95 %
interval), ``comparisons.csv`` and ``.md`` (every pair of configurations tested on the same
images: difference, interval, p-value, verdict), ``curves.png``, ``side_by_side.png`` and
``index.html`` into ``--out`` (default: ``<first folder>/report``). Runs that cannot be read are
listed with the reason.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from colorization.data.images import shown
from colorization.errors import UserError, exit_on_user_error, exit_with_failures
from colorization.report.collect import collect
from colorization.report.configurations import (
    compare_configurations,
    group_configurations,
    leave_out_repeated_seeds,
    verdicts_against_first,
)
from colorization.report.figures import curves, side_by_side
from colorization.report.page import write_page
from colorization.report.tables import (
    comparison_cells,
    comparisons_markdown,
    leaderboard,
    leaderboard_cells,
    leaderboard_notes,
    markdown,
    write_csv,
)
from colorization.writing import write_text

log = logging.getLogger("colorization.report")


def report(
    folders: Sequence[str | Path], out: str | Path | None = None, images: int = 4
) -> dict[str, Any]:
    """Write the report; returns its rows, the runs left out and the side-by-side columns."""
    folders = [Path(f) for f in folders]
    for folder in folders:
        if not folder.is_dir():
            raise UserError(f"{shown(folder)} is not a folder: give folders that hold runs.")
    records = collect(folders)
    if not records:
        raise UserError(
            f"No runs under {', '.join(shown(f) for f in folders)}: a run folder holds "
            ".hydra/config.yaml (e.g. outputs/colorization/multiruns/<date>/0)."
        )
    leave_out_repeated_seeds(records)
    ok = [r for r in records if r.ok]
    broken = [r for r in records if not r.ok]
    for record in broken:
        log.warning("Left out %s: %s", record.name, record.problem)
    if not ok:
        raise UserError(
            f"None of the {len(records)} runs found has a validated epoch yet "
            f"({broken[0].name}: {broken[0].problem}); report again once they have."
        )
    folder = Path(out) if out else folders[0] / "report"
    folder.mkdir(parents=True, exist_ok=True)
    configurations, keys = group_configurations(ok)
    rows, columns = leaderboard(configurations, keys)
    by_label = {c.label: c for c in configurations}
    order = [by_label[row["configuration"]] for row in rows]
    comparisons = compare_configurations(order)
    for row in comparisons:
        if row["verdict"] == "not paired":
            log.warning(
                "Not paired: %s and %s (%s): %s", row["a"], row["b"], row["protocol"], row["note"]
            )
    verdicts = verdicts_against_first(order, comparisons)
    write_csv(rows, folder / "leaderboard.csv")
    write_text(folder / "leaderboard.md", markdown(rows, columns, broken, verdicts))
    write_csv(comparisons, folder / "comparisons.csv")
    write_text(folder / "comparisons.md", comparisons_markdown(comparisons))
    curves(order, folder / "curves.png")
    figures = [("Validation curves (mean over seeds, 95 % band)", "curves.png")]
    compared = [c.first for c in order if c.first.run.checkpoint is not None]
    titles: list[str] = []
    if compared:
        labels = {c.first.name: c.label.replace(", ", "\n") for c in order}
        titles = side_by_side(compared, folder / "side_by_side.png", labels, images)
        figures.append(
            ("The same validation images through each configuration", "side_by_side.png")
        )
    write_page(
        folder,
        leaderboard_cells(rows, columns, verdicts),
        leaderboard_notes(rows),
        comparison_cells(comparisons),
        broken,
        figures,
        folders,
        len(ok),
    )
    return {
        "folder": folder,
        "rows": rows,
        "comparisons": comparisons,
        "broken": broken,
        "side_by_side": titles,
    }


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m colorization.report",
        description=__doc__.split("\n\n")[1],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("folders", nargs="+", help="folders holding runs (searched recursively)")
    parser.add_argument("--out", help="report folder (default: <first folder>/report)")
    parser.add_argument("--images", type=int, default=4, help="rows of the side-by-side figure")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    for name in ("pytorch_lightning", "lightning_fabric"):
        logging.getLogger(name).setLevel(logging.WARNING)
    try:
        result = report(args.folders, args.out, args.images)
    except Exception as error:
        exit_on_user_error(error, lambda message: print(f"error: {message}", file=sys.stderr))
        raise
    print((result["folder"] / "leaderboard.md").read_text())
    if result["comparisons"]:
        print((result["folder"] / "comparisons.md").read_text())
    print(f"Report: {result['folder'] / 'index.html'}")
    # the report is written; the runs it could not read are said, and fail it
    damaged = [(r.name, r.problem) for r in result["broken"] if r.damaged]
    exit_with_failures(damaged, f"{len(damaged)} runs could not be read")


if __name__ == "__main__":
    main()
