"""``index.html``: the leaderboard and the figures on one page that opens offline."""

from __future__ import annotations

import datetime as dt
import html
from pathlib import Path
from typing import Any

from colorization.report.collect import RunRecord
from colorization.report.tables import cell


def write_page(
    folder: Path,
    rows: list[dict[str, Any]],
    columns: list[str],
    broken: list[RunRecord],
    figures: list[tuple[str, str]],
    sources: list[Path],
) -> Path:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(cell(row.get(c)))}</td>" for c in columns) + "</tr>"
        for row in rows
    )
    left_out = "".join(
        f"<li><code>{html.escape(r.name)}</code>: {html.escape(str(r.problem))}</li>"
        for r in broken
    )
    images = "".join(
        f'<h2>{html.escape(title)}</h2><img src="{html.escape(name)}" alt="{html.escape(title)}">'
        for title, name in figures
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
<p>{len(rows)} runs from {html.escape(", ".join(str(s) for s in sources))}, written
{dt.datetime.now().isoformat(timespec="minutes")}. Full table:
<a href="leaderboard.csv">leaderboard.csv</a>, <a href="leaderboard.md">leaderboard.md</a>.</p>
<table><tr>{head}</tr>{body}</table>
{"<h2>Runs left out</h2><ul>" + left_out + "</ul>" if left_out else ""}
{images}
</body></html>
"""
    path = folder / "index.html"
    path.write_text(page)
    return path
