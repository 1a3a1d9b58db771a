"""Seeds are a dimension, not a new model: runs that differ only in their seed (and in how they
were logged or loaded) are grouped into one configuration, and every pair of configurations
tested on the same images is compared image by image (:mod:`.statistics`)."""

from __future__ import annotations

import itertools
import logging
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from colorization.compat import protocol_note
from colorization.report.collect import RunRecord, config_value, differing_keys
from colorization.report.statistics import compare_paired, holm

log = logging.getLogger(__name__)


@dataclass
class Configuration:
    """One configuration and its runs (one per seed), named by the settings that set it apart."""

    label: str
    runs: list[RunRecord]

    @property
    def first(self) -> RunRecord:
        return self.runs[0]

    @property
    def monitor(self) -> str:
        return self.first.run.monitor

    @property
    def maximize(self) -> bool:
        return self.first.run.maximize

    @property
    def main_metric(self) -> str:
        """The monitored metric's name without its stage (``val/psnr`` -> ``psnr``)."""
        return self.monitor.split("/", 1)[-1]

    @property
    def seeds(self) -> list[str]:
        return [r.seed for r in self.runs]


def leave_out_repeated_seeds(records: list[RunRecord]) -> None:
    """A run of a configuration and seed that another run already has (a copied run folder, or
    the same run trained twice) is no further sample: it is left out, naming the run kept, so
    two copies never read as two seeds with a zero-width interval."""
    kept: dict[tuple[Any, str], RunRecord] = {}
    for record in sorted((r for r in records if r.ok), key=lambda r: r.name):
        first = kept.setdefault((record.configuration, record.seed), record)
        if first is not record:
            record.problem = (
                f"the same configuration and seed ({record.seed or 'none'}) as {first.name}, a "
                "copy or a repeat: counted once"
            )


def group_configurations(records: list[RunRecord]) -> tuple[list[Configuration], list[str]]:
    """The readable runs grouped by configuration, in the order first seen, and the config keys
    that tell the configurations apart (their labels: ``model=UNet, optimizer.lr=0.001``; with
    one configuration, its first run's name)."""
    groups: dict[tuple, list[RunRecord]] = {}
    for record in records:
        groups.setdefault(record.configuration, []).append(record)
    keys = differing_keys(records)
    configurations: list[Configuration] = []
    for runs in groups.values():
        runs.sort(key=lambda r: (_number_or_text(r.seed), r.name))
        label = ", ".join(f"{k}={config_value(runs[0], k)}" for k in keys) or runs[0].name
        if any(c.label == label for c in configurations):  # they differ in a key not shown
            label = f"{label} ({runs[0].name})"
        configurations.append(Configuration(label, runs))
    return configurations, keys


def _number_or_text(value: str) -> tuple[float, str]:
    try:
        return float(value), ""
    except ValueError:
        return math.inf, value


@dataclass
class PairedScores:
    """Per-image scores of the runs of two configurations on the images all of them were tested
    on (``a``: seeds of A x images, ``b`` likewise), or why they cannot be paired."""

    a: np.ndarray | None = None
    b: np.ndarray | None = None
    note: str = ""


def paired_scores(
    first: Configuration, second: Configuration, protocol: tuple[str, str], metric: str
) -> PairedScores:
    """The scores of ``metric`` under ``protocol`` that pair: the same image (name, index and
    content digest) in every run of both, scored in all (NaN scores leave the image out)."""
    sides = []
    for configuration in (first, second):
        tested = [r for r in configuration.runs if protocol in r.image_scores]
        if not tested:
            runs = configuration.runs
            if any(r.image_scores for r in runs):
                why = "no per-image scores for this protocol"
            elif any(r.evaluation for r in runs):
                why = "evaluated without per-image scores (before 1.1): evaluate it again"
            else:
                why = "not evaluated"
            return PairedScores(
                note=f"{configuration.label}: {why} (python -m colorization.evaluate)"
            )
        sides.append(tested)
    notes = {_protocol_note(r) for side in sides for r in side}
    if len(notes) > 1:
        return PairedScores(
            note="tested with different protocol inputs (evaluation.json: protocol_note)"
        )
    images = [set(r.image_scores[protocol]) for side in sides for r in side]
    common = set.intersection(*images)
    every = set.union(*images)
    common = {
        image
        for image in common
        if all(
            math.isfinite(r.image_scores[protocol][image].get(metric, math.nan))
            for side in sides
            for r in side
        )
    }
    if not common:
        return PairedScores(
            note="evaluated on different images (their names or contents differ): not paired"
        )
    order = sorted(common)
    a, b = (
        np.array([[r.image_scores[protocol][i][metric] for i in order] for r in side])
        for side in sides
    )
    note = "" if len(common) == len(every) else f"paired on {len(common)} of {len(every)} images"
    if 1 in (len(sides[0]), len(sides[1])):
        one_seed = "one seed: the interval and p-value leave training noise out"
        note = "; ".join(filter(None, [note, one_seed]))
    return PairedScores(a, b, note)


def _protocol_note(record: RunRecord) -> Any:
    evaluation = record.evaluation or {}
    return protocol_note(evaluation)


def protocols_of(configurations: list[Configuration]) -> list[tuple[str, str]]:
    """Every (protocol, setting) with per-image scores, in the order evaluate wrote them."""
    seen: dict[tuple[str, str], None] = {}
    for configuration in configurations:
        for record in configuration.runs:
            seen.update(dict.fromkeys(record.image_scores))
    return list(seen)


def compare_configurations(configurations: list[Configuration]) -> list[dict[str, Any]]:
    """One row per protocol and pair of configurations (of one task): the mean per-image
    difference of the main metric (A - B), its 95 % bootstrap interval, the Wilcoxon p-value,
    Holm's adjustment over the pairs of that protocol, the verdict (A ``better``/``worse``/``tie``
    against B), the images and seeds it rests on and the smallest difference those images could
    have detected; pairs that cannot be paired say why in ``note``."""
    rows: list[dict[str, Any]] = []
    for monitor in sorted({c.monitor for c in configurations}):
        group = [c for c in configurations if c.monitor == monitor]
        for protocol in protocols_of(group):
            family = []
            for first, second in itertools.combinations(group, 2):
                row: dict[str, Any] = {
                    "protocol": protocol[0],
                    "setting": protocol[1],
                    "metric": group[0].main_metric,
                    "a": first.label,
                    "b": second.label,
                }
                scores = paired_scores(first, second, protocol, group[0].main_metric)
                if scores.a is None:
                    rows.append({**row, "verdict": "not paired", "note": scores.note})
                    continue
                comparison = compare_paired(scores.a, scores.b)
                row.update(
                    difference=comparison.difference,
                    ci95_low=comparison.low,
                    ci95_high=comparison.high,
                    p_value=comparison.p_value,
                    images=comparison.images,
                    seeds_a=comparison.seeds_a,
                    seeds_b=comparison.seeds_b,
                    detectable=comparison.detectable,
                    note=scores.note,
                )
                family.append((row, comparison))
                rows.append(row)
            adjusted = holm([c.p_value for _, c in family]) if family else []
            for (row, comparison), p_holm in zip(family, adjusted, strict=True):
                row["p_holm"] = p_holm
                row["verdict"] = comparison.verdict(p_holm, group[0].maximize)
    return rows


def verdicts_against(
    best: Configuration, rows: list[dict[str, Any]], protocol: tuple[str, str]
) -> dict[str, str]:
    """Each configuration's verdict against ``best`` under ``protocol``: ``best``, ``tie`` (not
    significantly different at alpha), ``worse`` or ``not paired``."""
    verdicts = {best.label: "best"}
    flipped = {"better": "worse", "worse": "better", "tie": "tie", "not paired": "not paired"}
    for row in rows:
        if (row["protocol"], row["setting"]) != protocol or best.label not in (row["a"], row["b"]):
            continue
        other = row["b"] if row["a"] == best.label else row["a"]
        verdict = row["verdict"]
        # the row says A against B; from the other's side against the best
        verdicts[other] = verdict if row["b"] == best.label else flipped[verdict]
    return verdicts


def verdicts_against_first(
    order: list[Configuration], comparisons: list[dict[str, Any]]
) -> dict[str, str] | None:
    """Each configuration's verdict against the first of ``order`` (the leaderboard's best)
    under the first protocol they were compared on (the task as trained), or None when
    nothing was paired there."""
    if len(order) < 2:
        return None
    first = order[0]
    protocol = next(
        ((r["protocol"], r["setting"]) for r in comparisons if first.label in (r["a"], r["b"])),
        None,
    )
    if protocol is None:
        return None
    verdicts = verdicts_against(first, comparisons, protocol)
    return verdicts if set(verdicts.values()) - {"best", "not paired"} else None
