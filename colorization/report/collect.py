"""Find runs under folders and read what the report shows of each: its config, history (best
epoch, metrics, throughput, training time), test evaluation and each test image's scores.

Any folder holding ``.hydra/config.yaml`` is a run: a single run, a multirun job, a study's
trial. A run that cannot be read is kept with the reason, for the report to list.
"""

from __future__ import annotations

import csv
import statistics
import zipfile
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from omegaconf import OmegaConf

from colorization.callbacks.history import read_history
from colorization.data.base import LOADING_SETTINGS
from colorization.report.image_scores import ImageScores, read_image_scores
from colorization.runs.folder import RunFolder, find_run_folders
from colorization.runs.lock import is_training
from colorization.trained.evaluation_files import read_evaluation
from colorization.trained.run import (
    TrainedRun,
    best_checkpoint,
    best_row,
    run_config,
)

# Config keys that say where and how a run was logged or loaded, not what was trained; with
# ``seed``, runs that differ only in them are seeds of one configuration.
NOT_COMPARED = ("paths.", "search.", "callbacks.", "logger.", "hydra.", "trainer.default_root_dir")
NOT_COMPARED_KEYS = {"print_config", "run_name", "ckpt_path", "resume", "train", "run.dir"}
# How the data was loaded, and where the run was tested (evaluate's data.test_root).
LOADING_KEYS = {f"data.{key}" for key in (*LOADING_SETTINGS, "test_root")}
SEED_KEY = "seed"


@dataclass
class RunRecord:
    name: str
    folder: Path
    run: TrainedRun | None = None
    history: list[dict[str, str]] = field(default_factory=list)
    evaluation: dict[str, Any] | None = None
    problem: str | None = None
    running: bool = False
    evaluation_state: str = ""  # "provisional" or "stale" test results, else ""
    image_scores: ImageScores = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.problem is None

    @property
    def damaged(self) -> bool:
        """Left out for a file that cannot be read (not for having no validated epoch yet)."""
        return self.problem is not None and self.problem.startswith("unreadable")

    @property
    def best_row(self) -> dict[str, str] | None:
        return best_row(self.history, self.run.monitor, self.run.maximize)

    @cached_property
    def flat_config(self) -> dict[str, str]:
        """The run's config as ``dotted.key -> value``, without the keys that say where and how
        it was logged."""
        container = OmegaConf.to_container(self.run.config, resolve=False)
        flat: dict[str, str] = {}

        def walk(node: Any, prefix: str) -> None:
            if isinstance(node, dict):
                for key, value in node.items():
                    walk(value, f"{prefix}{key}.")
            else:
                flat[prefix.rstrip(".")] = str(node)

        walk(container, "")
        return {
            k: v
            for k, v in flat.items()
            if not k.startswith(NOT_COMPARED) and k not in NOT_COMPARED_KEYS
        }

    @cached_property
    def configuration(self) -> tuple[tuple[str, str], ...]:
        """What was trained: the config without seed and the keys that only say how the run
        was logged or loaded. Runs with the same configuration are seeds of it."""
        flat = self.flat_config
        return tuple(sorted((k, v) for k, v in flat.items() if k not in LOADING_KEYS | {SEED_KEY}))

    @property
    def seed(self) -> str:
        return self.flat_config.get(SEED_KEY, "")

    @property
    def train_seconds(self) -> float | None:
        return float(self.history[-1]["train_seconds"]) if self.history else None

    @property
    def images_per_second(self) -> float | None:
        speeds = [float(r["images_per_second"]) for r in self.history if r["images_per_second"]]
        return round(statistics.median(speeds), 2) if speeds else None


def read_run(folder: Path, name: str) -> RunRecord:
    record = RunRecord(name=name, folder=folder)
    paths = RunFolder(folder)
    try:
        record.run = TrainedRun(paths, run_config(paths), None)
        _ = record.run.monitor
    except Exception as error:  # a damaged YAML file raises many types
        record.problem = f"unreadable config ({type(error).__name__}: {error})"
        return record
    record.running = is_training(paths.lock)
    try:
        record.history = read_history(paths.epoch_history) or history_from_tensorboard(
            paths.tensorboard
        )
        check_numbers(record.history)
    except Exception as error:
        record.problem = f"unreadable history ({type(error).__name__}: {error})"
        return record
    record.run.checkpoint = best_checkpoint(record.run)
    if record.run.checkpoint is not None and not is_complete_archive(record.run.checkpoint):
        record.problem = f"unreadable checkpoint {record.run.checkpoint.name} (truncated?)"
        return record
    if paths.evaluation.is_file():
        try:
            record.evaluation = read_evaluation(paths.evaluation)
        except (OSError, ValueError) as error:
            record.problem = f"unreadable evaluation.json ({error})"
            return record
        record.evaluation_state = evaluation_state(record.evaluation, paths, record.history)
        if paths.evaluation_images.is_file():
            try:
                record.image_scores = read_image_scores(paths.evaluation_images)
            except (OSError, ValueError, csv.Error) as error:
                record.problem = f"unreadable evaluation_images.csv ({error})"
                return record
    if record.best_row is None:
        record.problem = (
            "still in its first epoch" if record.running else "no validation epoch recorded"
        )
    return record


def evaluation_state(
    evaluation: dict[str, Any], paths: RunFolder, history: list[dict[str, str]]
) -> str:
    """ "provisional" for a test of a run that was training (its checkpoint may be mid-epoch),
    "stale" for one older than the run's last validation (it trained on since), else "".

    Judged by content: the validations history.csv held when the test ran (``history_rows``
    in evaluation.json), not by file times, which a copy (``cp -r``) changes. A test recorded
    before 1.5 has no count: its file times are all there is."""
    if evaluation.get("provisional"):
        return "provisional"
    tested_after = evaluation.get("history_rows")
    if isinstance(tested_after, int):
        return "stale" if len(history) > tested_after else ""
    history = paths.epoch_history
    if history.is_file() and history.stat().st_mtime > paths.evaluation.stat().st_mtime:
        return "stale"
    return ""


def is_complete_archive(path: Path) -> bool:
    """Whether a checkpoint is a whole zip archive (what torch.save writes): a truncated or
    damaged file has no central directory. Cheap: nothing is unpickled or loaded."""
    try:
        with zipfile.ZipFile(path) as archive:
            return bool(archive.namelist())
    except (OSError, zipfile.BadZipFile):
        return False


def check_numbers(rows: list[dict[str, str]]) -> None:
    """Every value of a history is a number or empty; else a ValueError naming the first bad
    one (a damaged or hand-edited history.csv)."""
    for number, row in enumerate(rows, start=1):
        for column, value in row.items():
            try:
                float(value or 0)
            except (TypeError, ValueError):
                raise ValueError(
                    f"row {number}, {column}: {str(value)[:20]!r} is no number"
                ) from None


def history_from_tensorboard(folder: Path) -> list[dict[str, str]]:
    """history.csv rows rebuilt from TensorBoard events, for runs trained before history.csv
    existed (no throughput; training time from the events' wall clock)."""
    if not folder.is_dir():
        return []
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    rows: dict[int, dict[str, str]] = {}
    for events in sorted({p.parent for p in folder.rglob("events.out.tfevents.*")}):
        accumulator = EventAccumulator(str(events), size_guidance={"scalars": 0})
        accumulator.Reload()
        tags = accumulator.Tags().get("scalars", [])
        epochs = (
            {e.step: int(e.value) for e in accumulator.Scalars("epoch")} if "epoch" in tags else {}
        )
        start = min((e.wall_time for t in tags for e in accumulator.Scalars(t)), default=0.0)
        for tag in (t for t in tags if t.startswith("val/") and t != "val/preview"):
            for event in accumulator.Scalars(tag):
                row = rows.setdefault(
                    event.step,
                    {
                        "epoch": str(epochs.get(event.step, len(rows))),
                        "step": str(event.step),
                        "train_seconds": f"{event.wall_time - start:.1f}",
                        "images_per_second": "",
                    },
                )
                row[tag] = str(event.value)
    return [rows[step] for step in sorted(rows)]


def collect(folders: list[Path]) -> list[RunRecord]:
    """Every run under ``folders``, named by its path relative to the folder given."""
    records = []
    for folder in folders:
        base = folder if folder.is_dir() else folder.parent
        for run_folder in find_run_folders(base):
            relative = run_folder.relative_to(base)
            name = str(relative) if relative.parts else base.name
            if len(folders) > 1 and relative.parts:
                name = f"{base.name}/{relative}"
            records.append(read_run(run_folder, name))
    return records


def differing_keys(records: list[RunRecord]) -> list[str]:
    """Config keys whose values differ between the readable runs' configurations (seed and
    loading settings aside: see :attr:`RunRecord.configuration`); where the class of a part
    differs (``model._target_``), it counts as ``model``, and only the settings all its
    classes share are compared besides."""
    flats = [dict(r.configuration) for r in records if r.run is not None]
    if len(flats) < 2:
        return []
    keys = sorted({k for f in flats for k in f})
    differing = [k for k in keys if len({f.get(k) for f in flats}) > 1]
    targets = {k.rsplit(".", 1)[0] for k in differing if k.endswith("._target_")}

    def shown(key: str) -> bool:
        own = key.endswith("._target_") or not any(key.startswith(f"{t}.") for t in targets)
        return own or all(key in f for f in flats)

    return [k.removesuffix("._target_") for k in differing if shown(k)]


def config_value(record: RunRecord, key: str) -> str:
    flat = record.flat_config
    if key in flat:
        try:
            # the shortest text that reads back as the same number: 0.001 and 0.0010001 differ
            return str(float(flat[key])) if "." in flat[key] or "e" in flat[key] else flat[key]
        except ValueError:
            return flat[key]
    target = flat.get(f"{key}._target_")
    return target.rsplit(".", 1)[-1] if target else ""
