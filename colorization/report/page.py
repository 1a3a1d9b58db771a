"""``index.html``: the leaderboard, the paired comparisons and the figures on one page that
opens offline."""

from __future__ import annotations

import datetime as dt
import html
from pathlib import Path

from colorization.report.collect import RunRecord
from colorization.report.tables import COMPARISONS_NOTE, Table
from colorization.writing import write_text


def html_table(table: Table) -> str:
    header, cells = table
    head = "".join(f"<th>{html.escape(c)}</th>" for c in header)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in cells
    )
    return f"<table><tr>{head}</tr>{body}</table>"


def write_page(
    folder: Path,
    leaderboard: Table,
    notes: list[str],
    comparisons: Table | None,
    broken: list[RunRecord],
    figures: list[tuple[str, str]],
    sources: list[Path],
    runs: int,
) -> Path:
    left_out = "".join(
        f"<li><code>{html.escape(r.name)}</code>: {html.escape(str(r.problem))}</li>"
        for r in broken
    )
    images = "".join(
        f'<h2>{html.escape(title)}</h2><img src="{html.escape(name)}" alt="{html.escape(title)}">'
        for title, name in figures
    )
    paired = ""
    if comparisons is not None and comparisons[1]:
        paired = (
            "<h2>Is the difference real? Paired comparisons on the same test images</h2>"
            f"{html_table(comparisons)}<p>{html.escape(COMPARISONS_NOTE)} "
            '<a href="comparisons.csv">comparisons.csv</a></p>'
        )
    page = f"""<!doctype html>
<html><head><meta charset="utf-8"><title>Run comparison</title>
<style>
body {{ font-family: sans-serif; margin: 2em; }}
table {{ border-collapse: collapse; font-size: 0.9em; }}
th, td {{ border: 1px solid #ccc; padding: 0.3em 0.6em; text-align: right; }}
th {{ background: #f3f3f3; }}
td:first-child, th:first-child {{ text-align: left; }}
img {{ max-width: 100%; }}
</style></head><body>
<h1>Run comparison</h1>
<p>{len(leaderboard[1])} configurations ({runs} runs) from
{html.escape(", ".join(str(s) for s in sources))}, written
{dt.datetime.now().isoformat(timespec="minutes")}. Metrics: mean over seeds &plusmn; 95 % interval.
Full table: <a href="leaderboard.csv">leaderboard.csv</a>,
<a href="leaderboard.md">leaderboard.md</a>.</p>
{html_table(leaderboard)}
{"".join(f"<p>{html.escape(n)}</p>" for n in notes)}
{paired}
{"<h2>Runs left out</h2><ul>" + left_out + "</ul>" if left_out else ""}
{images}
</body></html>
"""
    path = folder / "index.html"
    write_text(path, page)
    return path
