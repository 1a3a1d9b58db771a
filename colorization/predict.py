"""Apply a trained model to your own images: colorize with your hints, segment, remove flare,
super-resolve, denoise.

    python -m colorization.predict outputs/my_run/checkpoints/last.ckpt photos/ results/ \
        [--hints hints/ | --hints-from originals/ [--hint-ratio 0.01 | --hint-points 10]]
    python -m colorization.predict --onnx model.onnx photo.jpg results/ [--hints points.json]

The model is a checkpoint inside its run folder (or the run folder: its best checkpoint), or an
ONNX file written by ``python -m colorization.export`` (then neither the checkpoint nor
Lightning is needed). Inputs are one image or a folder searched recursively; the outputs folder
mirrors the inputs' relative paths, as PNG at each input's full resolution:

- colorization: ``<name>.png`` in colour (``--overlay`` adds ``<name>_hints.png``). Hints: a
  file (``--hints``: an RGBA PNG of the photo's size, or JSON points; for a folder of inputs, a
  folder of such files matched by relative path and name), sampled from the colour originals
  (``--hints-from``), or none.
- segmentation: ``<name>.png`` with the class index of each pixel, ``<name>_overlay.png``.
- flare: ``<name>.png``, the restored photo.
- superres: ``<name>.png``, the photo at the model's scale (in low-resolution tiles).
- denoising: ``<name>.png``, the denoised photo (in tiles).
- a task of your own: what its plugin's predictor writes (docs/architecture.md).
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from colorization.data.formats import DEFAULT_MAX_PIXELS, shown
from colorization.errors import exit_on_user_error, exit_with_failures
from colorization.tasks.registry import add_task_options, task_plugins


def parse_arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m colorization.predict",
        usage="%(prog)s (CHECKPOINT | --onnx MODEL) INPUTS OUTPUTS [options]",
        description=__doc__.split("\n\n")[0],
        epilog="Hint files: see docs/predict.md (PNG layer or JSON points).",
    )
    parser.add_argument("paths", nargs="+", help="[checkpoint] inputs outputs", metavar="PATH")
    parser.add_argument("--onnx", help="an ONNX file from python -m colorization.export")
    parser.add_argument("--device", default="auto", help="cpu, cuda, ... (auto: CUDA if present)")
    parser.add_argument(
        "--max-pixels",
        type=int,
        default=DEFAULT_MAX_PIXELS,
        help=f"larger inputs are not read (default {DEFAULT_MAX_PIXELS:,}, as data.max_pixels)",
    )
    add_task_options(parser, "predict")
    args = parser.parse_args(argv)
    expected = 2 if args.onnx is not None else 3
    if len(args.paths) != expected:
        wanted = "--onnx MODEL INPUTS OUTPUTS" if args.onnx else "CHECKPOINT INPUTS OUTPUTS"
        parser.error(f"give {wanted} ({len(args.paths)} paths given)")
    args.checkpoint = None if args.onnx else args.paths[0]
    args.inputs, args.outputs = args.paths[-2:]
    for plugin in task_plugins().values():
        if plugin.predict.check_options is not None:
            plugin.predict.check_options(args, parser.error)
    return args


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_arguments(argv)  # before torch is imported: --help and mistakes answer at once
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    from colorization.prediction import predict

    try:
        outcome = predict(args)
    except Exception as error:
        exit_on_user_error(error, lambda message: print(f"error: {message}", file=sys.stderr))
        raise
    print(f"Wrote {len(outcome.written)} images to {shown(args.outputs)}")
    failed = [(shown(path), problem) for path, problem in outcome.failed]
    exit_with_failures(failed, f"{len(failed)} inputs were not predicted")


if __name__ == "__main__":
    main()
