"""The columns of a run's test results: one per protocol, setting and metric of its
evaluation.json, each named by the label its protocol gave the setting (``test psnr @sigma15``,
``sr-benchmark psnr @x2``). The report names no task's vocabulary: the protocols do."""

from __future__ import annotations

from typing import Any

from colorization.compat import older_labels
from colorization.report.collect import RunRecord


def column_name(row: dict[str, Any], published: bool, label: str) -> str:
    """``test psnr`` (the task as trained), ``test psnr @sigma15`` (the setting's label, as its
    protocol names it), ``sr-benchmark psnr @x2`` (a published protocol's number)."""
    prefix = row["protocol"] if published else "test"
    return " ".join(str(part) for part in (prefix, row["metric"], label) if part)


def result_columns(record: RunRecord) -> dict[str, float]:
    """Test metrics from the run's evaluation.json, one column per protocol, setting and
    metric (a published protocol's under its name)."""
    if not record.evaluation:
        return {}
    published = set(record.evaluation.get("published") or {})
    rows = record.evaluation.get("metrics", [])
    older = older_labels(rows, published) if any("label" not in row for row in rows) else {}
    return {
        column_name(
            row,
            row["protocol"] in published,
            row["label"] if "label" in row else older[(row["protocol"], row["setting"])],
        ): float(row["value"])
        for row in rows
    }


def hidden_columns(record: RunRecord) -> set[str]:
    """The test columns the Markdown table leaves out: those of protocols that say so
    (``summary: false``)."""
    rows = (record.evaluation or {}).get("metrics", [])
    return {
        column_name(row, False, row["label"])
        for row in rows
        if row.get("summary") is False and "label" in row
    }
