"""Running benchmark rows: each in a fresh interpreter, and the loop-cost rows (a tiny network,
where a step is mostly the loop's own work)."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from typing import Any

import torch

from colorization.bench.measure import Setting, measure
from colorization.bench.report import describe, median_run


def in_fresh_process(function: Callable[..., Any], *args: Any) -> Any:
    """Run ``function(*args)`` in a new interpreter: no state shared between rows."""
    with ProcessPoolExecutor(1, mp_context=get_context("spawn"), max_tasks_per_child=1) as pool:
        return pool.submit(function, *args).result()


# The loop-cost rows' network: small enough that a step is mostly the loop's own Python.
LOOP_COST_MODEL = ["model=unet", "model.base_width=4", "data.image_size=64", "data.batch_size=8"]
LOOP_COST_NAME = "unet w4 64px"


def loop_cost_rows(args: argparse.Namespace, device: torch.device) -> list[dict[str, Any]]:
    """Plain and framework loops on a tiny UNet at the default precision and layout
    (interleaved repeats, median): their difference is the framework loop's own cost per step,
    apart from the network's."""
    overrides = [*LOOP_COST_MODEL, *args.overrides]
    settings = [Setting("plain", "auto", "auto"), Setting("lightning", "auto", "auto")]
    runs: dict[Setting, list[dict[str, Any]]] = {setting: [] for setting in settings}
    for _ in range(args.repeats):
        for setting in settings:
            result = in_fresh_process(
                measure, setting, overrides, args.loop_cost_steps, args.warmup
            )
            runs[setting].append(result)
    rows = []
    for setting, results in runs.items():
        row = {"model": LOOP_COST_NAME, "kind": "loop cost", "steps": args.loop_cost_steps}
        row.update(median_run(results))
        rows.append({**row, **describe(setting, row, device)})
    print(
        f"  loop cost ({LOOP_COST_NAME}): "
        + ", ".join(f"{row['loop']} {row['step_ms']:.1f} ms/step" for row in rows),
        flush=True,
    )
    return rows
