"""Test a trained model and write ``evaluation.json``, ``evaluation.csv`` and
``evaluation_images.csv`` (each test image's scores) into its run folder.

    python -m colorization.evaluate outputs/exp1                     # best checkpoint, val photos
    python -m colorization.evaluate outputs/exp1/checkpoints/last.ckpt data.test_root=/photos/test
    python -m colorization.evaluate outputs/exp1 --hint-ratios 0 0.01 --hint-points 1 10
    python -m colorization.evaluate outputs/colorization/multiruns/<date>   # every run in it
    python -m colorization.evaluate outputs/sr1 --protocol sr-benchmark data.test_root=/data/Set5

The test set is the run's validation set (for the built-in photos: the two held out from
training), the test split of a photo store (``data=photos``), or ``data.test_root``. Each task
says how it is tested (its plugin's evaluation protocols and options): colorization at fixed hint
densities, seeded per image, with baselines without learning on the same hints
(``--hint-ratios``, ``--hint-points``, ``--baselines``); segmentation by Dice, IoU, pixel
accuracy and per-class Dice; flare removal and super-resolution by PSNR/SSIM on whole images.
Each image's scores (one row per image and protocol, the image named and its content digested)
let ``report`` test two runs on the same images. ``--protocol NAME`` measures instead as a
paper's table does (a task's published protocols, listed by ``--help``; docs/evaluation.md); its
rows join the file beside the task's own.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytorch_lightning as pl
import torch
from omegaconf import OmegaConf

from colorization.build import build_datamodule, trainer_config
from colorization.callbacks.history import read_history
from colorization.data.images import shown
from colorization.errors import UserError, exit_on_user_error, exit_with_failures, problem_of
from colorization.runs.folder import RunFolder, find_run_folders
from colorization.runs.lock import is_training
from colorization.tasks.image_scores import recording_image_scores
from colorization.tasks.registry import add_task_options, task_plugins
from colorization.trained.evaluation_files import write_evaluation
from colorization.trained.overrides import apply_overrides, check_test_root_accepted
from colorization.trained.published import (
    evaluate_published,
    protocols_help,
    published_protocol,
)
from colorization.trained.run import TrainedRun, load_trained_task, open_run

log = logging.getLogger(__name__)

WRITTEN = "evaluation.json, evaluation.csv and evaluation_images.csv"


def test_metrics(
    task: pl.LightningModule, datamodule: pl.LightningDataModule, run: TrainedRun
) -> tuple[dict[str, float], list[dict[str, Any]]]:
    """``trainer.test`` with the run's precision and accelerator: the ``test/*`` metrics, and
    each image's scores (named by the test set where it names its images)."""
    settings = OmegaConf.to_container(trainer_config(run.config), resolve=True)
    trainer = pl.Trainer(
        accelerator=settings.get("accelerator", "auto"),
        devices=1,
        precision=settings.get("precision", "32-true"),
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
    )
    with recording_image_scores(task) as images:
        (results,) = trainer.test(task, datamodule=datamodule, verbose=False)
    name_of = getattr(trainer.test_dataloaders.dataset, "item_name", None)
    for image in images:
        image["image"] = name_of(image["index"]) if name_of else f"#{image['index']}"
    return {key.removeprefix("test/"): float(value) for key, value in results.items()}, images


def evaluate(
    path: str | Path,
    overrides: Sequence[str] = (),
    out: str | Path | None = None,
    protocol: str | None = None,
    **options: Any,
) -> dict[str, Any]:
    """Evaluate the run (or checkpoint) at ``path`` with its task's protocols, or with the
    published ``protocol`` of its task; ``options`` are the task's evaluation options
    (colorization: ``hint_ratios``, ``hint_points``, ``baselines``). Returns what
    evaluation.json holds."""
    started = time.perf_counter()
    run = open_run(path)
    training = is_training(run.folder.lock)
    if training:
        log.warning(
            "%s is training now: its checkpoint may be from the middle of an epoch; the results "
            "are marked provisional (evaluate it again when it has finished).",
            shown(run.folder.root),
        )
    applied = apply_overrides(run, overrides)
    plugin = run.plugin
    history_rows = len(read_history(run.folder.epoch_history))  # report: is the test stale?
    if protocol is not None:
        account = evaluate_published(run, published_protocol(plugin, protocol))
        account.update(
            overrides=applied,
            provisional=training,
            history_rows=history_rows,
            date=_now(),
            seconds=_since(started),
        )
        return write_evaluation(account, account.pop("images"), _folder(run, out), protocol)
    check_test_root_accepted(run)
    known = {o.dest for p in task_plugins().values() for o in p.evaluate.options}
    unknown = sorted(set(options) - known)
    if unknown:
        raise TypeError(f"evaluate() got options no task has: {', '.join(unknown)}.")
    evaluation = plugin.evaluate
    defaults = evaluation.defaults()
    options = {**defaults, **{k: v for k, v in options.items() if k in defaults}}
    task_class = plugin.load_task_class()
    protocols = evaluation.protocols_for(options, task_class.predicts_images)  # checks options
    if evaluation.configure is not None:
        evaluation.configure(run.config, options)
    task = load_trained_task(run)
    datamodule = build_datamodule(run.config)
    rows, image_rows = [], []
    for protocol in protocols:
        with protocol.applied_to(task):
            metrics, images = test_metrics(task, datamodule, run)
        rows += protocol.rows(metrics)
        setting = protocol.setting.text
        image_rows += [{"protocol": protocol.name, "setting": setting, **image} for image in images]
        log.info("%s %s: %s", protocol.name, setting, _brief(metrics, run.monitor))
    test_root = OmegaConf.select(run.config, "data.test_root")
    store = OmegaConf.select(run.config, "data.store", default=None)
    if test_root is None and store is not None:
        test_root = f"the test split of the photo store {store}"
    result = {
        "run": str(run.folder.root),
        "checkpoint": str(run.checkpoint),
        "task": plugin.name,
        "test_set": test_root or "the run's validation set",
        "overrides": applied,
        "data": OmegaConf.to_container(run.config.data, resolve=True),
        "protocol_note": evaluation.note(run.config) if evaluation.note else None,
        "metrics": rows,
        "images": len({row["index"] for row in image_rows}),
        "provisional": training,
        "history_rows": history_rows,
        "seconds": _since(started),
        "date": _now(),
    }
    return write_evaluation(result, image_rows, _folder(run, out))


def _folder(run: TrainedRun, out: str | Path | None) -> Path:
    return Path(out) if out else run.folder.root


def _since(started: float) -> float:
    return round(time.perf_counter() - started, 1)


def _now() -> str:
    return dt.datetime.now().isoformat(timespec="seconds")


def _brief(metrics: dict[str, float], monitor: str) -> str:
    """The monitored metric and its baselines (``psnr``, ``psnr_no_color``, ...) in one line."""
    name = monitor.split("/", 1)[-1]
    shown = [k for k in sorted(metrics) if k == name or k.startswith(f"{name}_")][:4]
    return ", ".join(f"{k}={metrics[k]:.4f}" for k in shown or sorted(metrics)[:4])


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m colorization.evaluate",
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=protocols_help(),
    )
    parser.add_argument(
        "run", help="a run folder (its best checkpoint), a .ckpt file in one, or a folder of runs"
    )
    parser.add_argument("overrides", nargs="*", help="key=value, e.g. data.test_root=/photos")
    add_task_options(parser, "evaluate")
    parser.add_argument(
        "--protocol",
        metavar="NAME",
        help="a published evaluation protocol of the run's task (listed below; docs/evaluation.md)",
    )
    parser.add_argument("--out", help="folder for evaluation.json/.csv (default: the run folder)")
    args = parser.parse_intermixed_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    for name in ("pytorch_lightning", "lightning_fabric"):
        logging.getLogger(name).setLevel(logging.WARNING)
    torch.set_float32_matmul_precision("high")
    task_options = {
        k: v for k, v in vars(args).items() if k not in ("run", "overrides", "out", "protocol")
    }
    given = [k for k, v in task_options.items() if v != parser.get_default(k)]
    if args.protocol and given:
        flags = ", ".join(f"--{k.replace('_', '-')}" for k in given)
        parser.error(f"{flags}: a published protocol fixes its own settings; leave them out.")
    try:
        runs = runs_to_evaluate(Path(args.run))
        if len(runs) == 1:
            result = evaluate(runs[0], args.overrides, args.out, args.protocol, **task_options)
            print(f"Wrote {WRITTEN} to {args.out or result['run']}")
            return
        task_options["protocol"] = args.protocol
        failed = evaluate_each(runs, args.overrides, args.out, task_options)
    except Exception as error:
        exit_on_user_error(error, say_error)
        raise
    listed = [(shown(run), problem) for run, problem in failed]
    exit_with_failures(listed, f"{len(failed)} of {len(runs)} runs were not evaluated")


def say_error(message: str) -> None:
    print(f"error: {message}", file=sys.stderr)


def evaluate_each(
    runs: list[Path], overrides: Sequence[str], out: str | None, options: dict[str, Any]
) -> list[tuple[Path, str]]:
    """Evaluate every run of a folder of runs; a run that cannot be evaluated (no checkpoint,
    a damaged one) is reported and the others are evaluated all the same. Returns the runs
    that failed, with their reason."""
    failed = []
    for run in runs:
        log.info("Evaluating %s", run)
        folder = Path(out) / run.name if out else None
        try:
            result = evaluate(run, overrides, folder, **options)
        except Exception as error:
            problem = problem_of(error)
            log.error("error: %s", problem)
            failed.append((run, problem))
            continue
        print(f"Wrote {WRITTEN} to {folder or result['run']}")
    return failed


def runs_to_evaluate(path: Path) -> list[Path]:
    """``path`` itself, or the runs under it if it is a folder of runs (a multirun, a search)."""
    if not path.is_dir() or RunFolder(path).config.is_file():
        return [path]
    runs = find_run_folders(path)
    if not runs:
        raise UserError(f"No trained runs under {shown(path)}: give a run folder or a .ckpt file.")
    return runs


if __name__ == "__main__":
    main()
