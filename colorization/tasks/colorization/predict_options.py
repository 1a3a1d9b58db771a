"""``python -m colorization.predict``'s colorization options and their checks: light (no torch),
read when the command parses its arguments, before anything is loaded."""

from __future__ import annotations

import argparse

from colorization.tasks.plugin import WORKING_SIZE_OPTION, Failure, Option

PREDICT_OPTIONS = (
    Option(("--hints",), {"help": "hint file (.png RGBA layer or .json points) or folder"}),
    Option(("--hints-from",), {"help": "colour original(s) to sample hints from"}),
    Option(("--hint-ratio",), {"type": float, "help": "fraction of pixels (default 0.01)"}),
    Option(("--hint-points",), {"type": int, "help": "number of patch hints instead"}),
    Option(("--hint-seed",), {"type": int, "help": "seed of sampled hints (default 0)"}),
    Option(("--overlay",), {"action": "store_true", "help": "also write <name>_hints.png"}),
    WORKING_SIZE_OPTION,
)


def check_predict_options(args: argparse.Namespace, fail: Failure) -> None:
    """Combinations of the hint options that cannot work, before anything is loaded."""
    if args.hints is not None and args.hints_from is not None:
        fail("argument --hints-from: not allowed with argument --hints")
    if args.hint_ratio is not None and args.hint_points is not None:
        fail("argument --hint-points: not allowed with argument --hint-ratio")
    sampling = (args.hint_ratio, args.hint_points)
    if any(value is not None for value in sampling) and not args.hints_from:
        fail("--hint-ratio and --hint-points sample from --hints-from originals")
    if args.hint_ratio is not None and not 0 <= args.hint_ratio <= 1:
        fail(f"--hint-ratio must be in [0, 1], got {args.hint_ratio}")
    if args.hint_points is not None and args.hint_points < 0:
        fail(f"--hint-points must be >= 0, got {args.hint_points}")
