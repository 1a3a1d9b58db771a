"""Benchmark training throughput, memory and data loading on this machine.

    python -m colorization.bench                       # UNet w32, 128 px, batch 8
    python -m colorization.bench --models unet attention_unet --base-width 16 --steps 30
    python -m colorization.bench --compile             # also time optimization.compile=true
    python -m colorization.bench data.num_workers=0    # any training override (Hydra syntax)
    python -m colorization.bench --store --store-photos 20000 --workers 2   # the photo store

Every row trains the same configured task with the same seed and data; it prints a Markdown
table and appends the rows to a CSV file (``--csv``) to compare runs over time. The baseline is
the plain PyTorch loop in fp32, NCHW; "default" marks the framework's default configuration.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
from hydra.errors import HydraException
from omegaconf import OmegaConf

from colorization.bench.measure import (
    AUTOCAST_DTYPES,
    Setting,
    bench_device,
    compose_for_bench,
    measure,
    measure_loader,
    ready_made_batches,
)
from colorization.bench.probes import matmul_peak_gflops, train_step_gflops
from colorization.bench.report import append_csv, describe, markdown_table, median_run, summary
from colorization.bench.rows import in_fresh_process, loop_cost_rows
from colorization.bench.store import add_store_options, store_rows
from colorization.build import build_datamodule, build_task
from colorization.config import config_dir, task_choice, validate_config
from colorization.hardware import cpu_model, resolve_precision
from colorization.models.zoo import model_aliases, model_names


def device_name(device: torch.device) -> str:
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    return f"{cpu_model() or 'CPU'}, {torch.get_num_threads()} threads"


def compute_settings(device: torch.device, precisions: Sequence[str]) -> list[Setting]:
    """Plain and Lightning loops x precisions x memory layouts, on ready-made batches."""
    chosen = list(dict.fromkeys([*precisions, resolve_precision("auto", device.type)]))
    return [
        Setting(loop, precision, layout)
        for precision in chosen
        for layout in (False, True)
        for loop in ("plain", "lightning")
    ]


def training_gflops_per_image(overrides: Sequence[str]) -> float:
    """FLOPs of one training step (forward + backward) per image, fp32, by torch's counter."""
    with tempfile.TemporaryDirectory() as output_dir:
        cfg = compose_for_bench(
            [*overrides, "trainer.precision=32-true", "optimization.channels_last=false"],
            output_dir,
        )
        task = build_task(cfg, compile=False).train()
        datamodule = build_datamodule(cfg)
        datamodule.setup("fit")
        batch = ready_made_batches(datamodule, 1)[0]
        one = {key: value[:1] for key, value in batch.items()}

        def step() -> None:
            prepared = task.prepare_batch(one, "train")
            task.compute_loss(task(prepared.inputs), prepared.target).backward()

        return train_step_gflops(step)


def task_options() -> list[str]:
    return sorted(path.stem for path in (config_dir() / "task").glob("*.yaml"))


def data_target(task: str) -> str:
    """The DataModule class a ``task=`` option selects (its YAML's ``override /data``)."""
    data = task_choice(task, "data")
    return str(OmegaConf.load(config_dir() / "data" / f"{data}.yaml")._target_)


def data_tasks() -> list[str]:
    """One task per DataModule class (tasks that read the same photos share one)."""
    tasks: dict[str, str] = {}
    for task in task_options():
        tasks.setdefault(data_target(task), task)
    return list(tasks.values())


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m colorization.bench",
        description=__doc__.splitlines()[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("overrides", nargs="*", help="training config overrides, e.g. task=...")
    parser.add_argument("--models", nargs="+", default=["unet"], help="model= options")
    parser.add_argument("--base-width", type=int, default=32)
    parser.add_argument("--image-size", type=int, default=128)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--steps", type=int, default=10, help="timed training steps per row")
    parser.add_argument("--warmup", type=int, default=2, help="untimed steps first (>= 1)")
    parser.add_argument(
        "--repeats",
        type=int,
        default=3,
        help="runs per row, interleaved; the median is reported (a shared machine drifts)",
    )
    parser.add_argument(
        "--precisions",
        nargs="+",
        default=None,
        help="trainer.precision values besides the default (auto); default: 32-true and "
        "bf16-mixed on CPU, 32-true, 16-mixed and bf16-mixed on CUDA",
    )
    parser.add_argument("--compile", action="store_true", help="add optimization.compile=true rows")
    parser.add_argument(
        "--quality-steps",
        type=int,
        default=100,
        help="train the baseline and the default configuration this many steps and compare "
        "their validation metric (0: skip)",
    )
    parser.add_argument(
        "--loop-cost-steps",
        type=int,
        default=60,
        help="timed steps of the loop-cost rows: a tiny UNet (width 4, 64 px), where a step is "
        "mostly the loop's own work, plain vs framework (0: skip)",
    )
    parser.add_argument("--data-batches", type=int, default=30, help="batches per loader row")
    parser.add_argument("--csv", type=Path, default=Path("outputs/bench/results.csv"))
    add_store_options(parser)
    args = parser.parse_args(argv)
    counts = (
        "base_width",
        "image_size",
        "batch_size",
        "steps",
        "warmup",
        "repeats",
        "data_batches",
        "store_photos",
        "startup_photos",
    )
    for option in counts:
        if getattr(args, option) < 1:
            parser.error(f"--{option.replace('_', '-')} must be >= 1, got {getattr(args, option)}")
    for option in ("quality_steps", "loop_cost_steps"):
        if getattr(args, option) < 0:
            parser.error(f"--{option.replace('_', '-')} must be >= 0, got {getattr(args, option)}")
    known = model_names() + sorted(model_aliases())
    unknown = [name for name in args.models if name not in known]
    if unknown:
        parser.error(f"--models: unknown {', '.join(unknown)}; choose from {', '.join(known)}")
    return args


def precisions_to_run(args: argparse.Namespace, device: torch.device) -> list[str]:
    """``--precisions``, else every one the device runs (on the CPU: fp32 and bf16)."""
    if args.precisions:
        return list(args.precisions)
    return (
        ["32-true", "16-mixed", "bf16-mixed"]
        if device.type == "cuda"
        else ["32-true", "bf16-mixed"]
    )


def benchmark_model(
    model: str, args: argparse.Namespace, device: torch.device, peaks: dict[str, float]
) -> list[dict[str, Any]]:
    """Speed rows (interleaved repeats, median) and the two quality rows of one model."""
    overrides = [
        f"model={model}",
        f"model.base_width={args.base_width}",
        f"data.image_size={args.image_size}",
        f"data.batch_size={args.batch_size}",
        *args.overrides,
    ]
    gflops = training_gflops_per_image(overrides)
    print(f"{model}: {gflops:.2f} GFLOPs per image per training step (forward + backward)")
    settings = compute_settings(device, precisions_to_run(args, device))
    if args.compile:
        settings.append(Setting("lightning", "auto", "auto", compile=True))
    settings.append(Setting("lightning", "auto", "auto", source="loader"))
    runs: dict[Setting, list[dict[str, Any]]] = {setting: [] for setting in settings}
    for repeat in range(args.repeats):
        for setting in settings:
            started = time.perf_counter()
            result = in_fresh_process(measure, setting, overrides, args.steps, args.warmup)
            row_seconds = time.perf_counter() - started
            runs[setting].append(result)
            # Where a row's time goes (start-up, data, compilation vs the steps themselves).
            print(
                f"  [{repeat + 1}/{args.repeats}] {setting.loop:9s} {setting.source:6s} "
                f"{result['precision']:10s} channels_last={result['channels_last']!s:5s} "
                f"compile={setting.compile!s:5s} {result['images_per_s']:6.2f} img/s "
                f"(row {row_seconds:.0f} s, of which the loop {result['loop_seconds']:.0f} s)",
                flush=True,
            )
    rows = []
    for setting, results in runs.items():
        row = {"model": model, "kind": "speed", "steps": args.steps, **median_run(results)}
        rows.append({**row, **describe(setting, row, device)})
    if args.quality_steps:
        for setting in (Setting("plain", "32-true", False), Setting("lightning", "auto", "auto")):
            result = in_fresh_process(measure, setting, overrides, args.quality_steps, 1)
            row = {"model": model, "kind": "quality", "steps": args.quality_steps, **result}
            rows.append({**row, **describe(setting, row, device)})
            print(
                f"  quality, {args.quality_steps} steps: {setting.loop} {result['precision']} "
                f"{result['val_metric']} {result['val_value']:.3f}",
                flush=True,
            )
    baseline = next(row for row in rows if row["role"] == "baseline" and row["kind"] == "speed")
    for row in rows:
        row["gflops"] = gflops * row["images_per_s"]
        row["of_peak"] = row["gflops"] / peaks.get(row["precision"], peaks["32-true"])
        row["vs_baseline"] = row["images_per_s"] / baseline["images_per_s"]
    return rows


def data_rows(args: argparse.Namespace) -> list[dict[str, Any]]:
    """Each DataModule the tasks select (once per class), loading on its own with the
    configured workers."""
    rows = []
    for task in data_tasks():
        overrides = [
            f"task={task}",
            f"data.image_size={args.image_size}",
            f"data.batch_size={args.batch_size}",
            *args.overrides,
        ]
        result = in_fresh_process(measure_loader, overrides, args.data_batches)
        rows.append(
            {
                "model": "-",
                "kind": "data",
                "loop": "data only",
                "source": result["data"],
                "precision": "-",
                "layout": "-",
                "compile": "-",
                "num_workers": result["num_workers"],
                "images_per_s": result["images_per_s"],
            }
        )
    return rows


def main(argv: Sequence[str] | None = None) -> list[dict[str, Any]]:
    warnings.filterwarnings("ignore")
    args = parse_args(argv)
    stamp = dt.datetime.now().isoformat(timespec="seconds")
    if args.store:
        return store_rows(args, stamp)
    with tempfile.TemporaryDirectory() as output_dir:
        try:  # the overrides are checked as the train command checks them
            cfg = compose_for_bench(args.overrides, output_dir)
            validate_config(cfg)
        except (HydraException, ValueError) as error:
            lines = [line.strip() for line in str(error).splitlines() if line.strip()]
            print(f"error: {' '.join(lines)}", file=sys.stderr)
            sys.exit(2)
        device = bench_device(cfg)
    print(f"# colorization.bench {stamp} on {device_name(device)}, torch {torch.__version__}")
    peaks = {"32-true": matmul_peak_gflops(device, torch.float32)}  # the rows' fallback
    for precision in precisions_to_run(args, device):  # only what the rows will run
        if precision in AUTOCAST_DTYPES:
            peaks[precision] = matmul_peak_gflops(device, AUTOCAST_DTYPES[precision])
    print("matmul peak: " + ", ".join(f"{k} {v:.0f} GFLOP/s" for k, v in peaks.items()))

    command = " ".join(["python -m colorization.bench", *(sys.argv[1:] if argv is None else argv)])
    common = {
        "timestamp": stamp,
        "device": device_name(device),
        "torch": torch.__version__,
        "image_size": args.image_size,
        "batch_size": args.batch_size,
        "base_width": args.base_width,
        "command": command,
    }
    rows: list[dict[str, Any]] = []
    blocks = [
        lambda model=model: benchmark_model(model, args, device, peaks) for model in args.models
    ]
    if args.loop_cost_steps:
        blocks.append(lambda: loop_cost_rows(args, device))
    for block in [*blocks, lambda: data_rows(args)]:
        new_rows = [{**common, **row} for row in block()]
        append_csv(args.csv, new_rows)  # as soon as measured: a later failure loses nothing
        rows += new_rows
    print()
    print(markdown_table(rows))
    print()
    for line in summary(rows):
        print(line)
    print(f"\nAppended {len(rows)} rows to {args.csv}")
    return rows


if __name__ == "__main__":
    main()
