"""Apply a trained model to your own images: colorize with your hints, segment, remove flare,
super-resolve.

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
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torchvision.io import encode_png

from colorization.data.file_checks import check_file
from colorization.data.images import (
    DEFAULT_MAX_PIXELS,
    IMAGE_EXTENSIONS,
    find_images,
    load_rgb,
    shown,
)
from colorization.errors import exit_on_user_error, exit_with_failures, problem_of
from colorization.inference.companions import relative
from colorization.runs.network import open_network
from colorization.tasks.registry import (
    add_task_options,
    options_of_other_tasks,
    task_plugin,
    task_plugins,
)

log = logging.getLogger(__name__)


def input_images(inputs: Path, outputs: Path) -> list[Path]:
    """The images to predict: ``inputs`` itself or every image under it; paths checked first."""
    if outputs.exists() and not outputs.is_dir():
        raise FileExistsError(f"outputs: {shown(outputs)} is a file; give a folder to write into.")
    if inputs.is_file():
        if inputs.suffix.lower() not in IMAGE_EXTENSIONS:
            raise ValueError(
                f"inputs: {shown(inputs)} is not an image ({', '.join(IMAGE_EXTENSIONS)})."
            )
        return [inputs]
    if inputs.resolve() == outputs.resolve():
        raise ValueError("outputs: give another folder than the inputs (images would be mixed).")
    images = find_images(inputs, option="the inputs argument")
    written_here = outputs.resolve()
    inside = [path for path in images if path.resolve().is_relative_to(written_here)]
    if inside:  # the outputs folder inside the inputs: never predict from earlier outputs
        log.info("Leaving out %d images of the outputs folder %s.", len(inside), shown(outputs))
        images = [path for path in images if path not in inside]
        if not images:
            raise ValueError(
                f"inputs: every image under {shown(inputs)} is in the outputs folder "
                f"{shown(outputs)}; give the folder of the photos to predict."
            )
    by_output: dict[Path, Path] = {}
    for path in images:
        other = by_output.setdefault(path.relative_to(inputs).with_suffix(""), path)
        if other != path:
            raise ValueError(
                f"inputs: {shown(other)} and {shown(path)} would both be written as "
                f"{shown(path.relative_to(inputs).with_suffix('.png'))}; rename one of them."
            )
    return images


# --- the command -----------------------------------------------------------------------------
Problems = list[tuple[Path, str]]  # (input, what is wrong with it)


@dataclass
class Outcome:
    """What a prediction wrote, and the inputs it could not predict, with the reason."""

    written: list[Path] = field(default_factory=list)
    failed: Problems = field(default_factory=list)


def checked_images(images: list[Path], max_pixels: int) -> tuple[list[Path], Problems]:
    """(usable, unusable with the reason): every input checked from its header and tail before
    any work, as training checks its photos (unreadable, truncated, more than ``max_pixels``)."""
    checks = [check_file(path, 1, max_pixels, grayscale=True) for path in images]
    usable = [c.path for c in checks if c.outcome != "skipped"]
    return usable, [(c.path, c.problem) for c in checks if c.outcome == "skipped"]


def predict(args: argparse.Namespace) -> Outcome:
    """Every usable input predicted; an input that cannot be is listed and the others go on.
    Every input is checked before the first is predicted."""
    inputs, outputs = Path(args.inputs), Path(args.outputs)
    images = input_images(inputs, outputs)
    network = open_network(args.checkpoint, args.onnx, args.device)
    usable, unusable = checked_images(images, args.max_pixels)
    if not usable:
        path, problem = unusable[0]
        raise ValueError(f"inputs: no usable image ({shown(path)}: {problem}).")
    plugin = task_plugin(network.spec.task)
    wrong = options_of_other_tasks(plugin, "predict_options", args)
    if wrong:
        source = shown(args.onnx or args.checkpoint)
        raise ValueError(f"{', '.join(wrong)}: not for {source}, which is a {plugin.name} model.")
    predictor = plugin.predictor(network, args, usable)
    outcome = Outcome(failed=list(unusable))
    for path in usable:
        name = relative(path, inputs).with_suffix("")
        try:
            predicted = predictor(path, load_rgb(path))
        except Exception as error:
            problem = problem_of(error)
            log.error("%s: %s", shown(path), problem)
            outcome.failed.append((path, problem))
            continue
        for suffix, image in predicted.items():
            target = outputs / name.parent / f"{name.name}{suffix}.png"
            target.parent.mkdir(parents=True, exist_ok=True)
            # written by Python: the name may hold bytes that are not UTF-8, as the input's did
            target.write_bytes(encode_png(image).numpy().tobytes())
            outcome.written.append(target)
        log.info("%s -> %s", shown(path), shown(outputs / name.parent / f"{name.name}.png"))
    return outcome


def parse_arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m colorization.predict",
        usage="%(prog)s (CHECKPOINT | --onnx MODEL) INPUTS OUTPUTS [options]",
        description=__doc__.split("\n\n")[0],
        epilog="Hint files: see docs/predict.md (PNG layer or JSON points).",
    )
    parser.add_argument("paths", nargs="+", help="[checkpoint] inputs outputs", metavar="PATH")
    parser.add_argument("--onnx", help="an ONNX file from python -m colorization.export")
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument(
        "--max-pixels",
        type=int,
        default=DEFAULT_MAX_PIXELS,
        help=f"larger inputs are not read (default {DEFAULT_MAX_PIXELS:,}, as data.max_pixels)",
    )
    add_task_options(parser, "predict_options")
    args = parser.parse_args(argv)
    expected = 2 if args.onnx is not None else 3
    if len(args.paths) != expected:
        wanted = "--onnx MODEL INPUTS OUTPUTS" if args.onnx else "CHECKPOINT INPUTS OUTPUTS"
        parser.error(f"give {wanted} ({len(args.paths)} paths given)")
    args.checkpoint = None if args.onnx else args.paths[0]
    args.inputs, args.outputs = args.paths[-2:]
    for plugin in task_plugins().values():
        if plugin.check_predict_options is not None:
            plugin.check_predict_options(args, parser.error)
    return args


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_arguments(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
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
