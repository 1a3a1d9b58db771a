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
import glob
import logging
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import torch
from PIL import Image
from torchvision.io import write_png

from colorization.data.images import (
    IMAGE_EXTENSIONS,
    find_images,
    load_rgb,
    oriented_size,
    shown,
)
from colorization.errors import exit_on_user_error
from colorization.inference.colorize import Colorizer
from colorization.inference.network import Network, open_network
from colorization.inference.restore import Restorer
from colorization.inference.segment import Segmenter
from colorization.inference.user_hints import read_hints

log = logging.getLogger(__name__)

Outputs = dict[str, torch.Tensor]  # file-name suffix ("" for the main output) -> uint8 image
Predictor = Callable[[Path, torch.Tensor], Outputs]
COLORIZATION_OPTIONS = ("hints", "hints_from", "hint_ratio", "hint_points", "overlay")
FLARE_OPTIONS = ("tile_size", "tile_overlap")


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
    by_output: dict[Path, Path] = {}
    for path in images:
        other = by_output.setdefault(path.relative_to(inputs).with_suffix(""), path)
        if other != path:
            raise ValueError(
                f"inputs: {shown(other)} and {shown(path)} would both be written as "
                f"{shown(path.relative_to(inputs).with_suffix('.png'))}; rename one of them."
            )
    return images


def check_hint_files(images: list[Path], args: argparse.Namespace) -> None:
    """Every hint file read against its photo's size before the model is loaded, so that a bad
    one stops the command before any work (the message names the file and the fix)."""
    if args.hints is None:
        return
    inputs = Path(args.inputs)
    for path in images:
        source = hint_file_for("--hints", Path(args.hints), inputs, path, (".png", ".json"))
        if source is not None:
            with Image.open(path) as image:
                width, height = oriented_size(image)
            read_hints(source, height, width)


def relative(path: Path, inputs: Path) -> Path:
    """Where ``path`` sits under the inputs (just its name for a single input file)."""
    return Path(path.name) if inputs.is_file() else path.relative_to(inputs)


def matched_file(folder: Path, name: Path, suffixes: Sequence[str], option: str) -> Path | None:
    """The one file ``folder/<name without suffix><suffix>`` for any of ``suffixes``."""
    stem = folder / name.with_suffix("")
    found = (
        [p for p in stem.parent.glob(f"{glob.escape(stem.name)}.*") if p.suffix.lower() in suffixes]
        if stem.parent.is_dir()
        else []
    )
    if len(found) > 1:
        listed = ", ".join(sorted(p.name for p in found))
        raise ValueError(f"{option}: {listed} all match {shown(name)}; keep one of them.")
    return found[0] if found else None


def hint_file_for(
    option: str, given: Path, inputs: Path, image: Path, suffixes: Sequence[str]
) -> Path | None:
    """The hint file (or colour original) of ``image``: ``given`` for one input file, else the
    file matching its relative path under the ``given`` folder (None if there is none)."""
    if inputs.is_file():
        if not given.is_file():
            raise FileNotFoundError(f"{option}: {shown(given)} is not a file.")
        return given
    if not given.is_dir():
        raise NotADirectoryError(
            f"{option}: the inputs are a folder, so give a folder of files matched by name "
            f"({shown(given)} is not one)."
        )
    return matched_file(given, relative(image, inputs), suffixes, option)


# --- one predictor per task ------------------------------------------------------------------
def colorization_predictor(network: Network, args: argparse.Namespace) -> Predictor:
    colorizer = Colorizer(network, args.working_size)
    inputs = Path(args.inputs)

    def predict(path: Path, image: torch.Tensor) -> Outputs:
        photo = colorizer.prepare(image)
        height, width = photo.size
        if args.hints is not None:
            source = hint_file_for("--hints", Path(args.hints), inputs, path, (".png", ".json"))
            hints = colorizer.no_hints(photo)
            if source is not None:
                hints = colorizer.user_hints(photo, read_hints(source, height, width))
            else:
                log.warning("%s: no hint file, colorized with no hints", shown(path))
        elif args.hints_from is not None:
            option = "--hints-from"
            source = hint_file_for(option, Path(args.hints_from), inputs, path, IMAGE_EXTENSIONS)
            if source is None:
                raise FileNotFoundError(
                    f"--hints-from: no colour original of {shown(relative(path, inputs))} in "
                    f"{shown(args.hints_from)} (matched by relative path and name)."
                )
            hints = colorizer.sampled_hints(
                photo, load_rgb(source), args.hint_ratio, args.hint_points, args.hint_seed
            )
        else:
            hints = colorizer.no_hints(photo)
        outputs = {"": colorizer.colorize(photo, hints)}
        if args.overlay:
            outputs["_hints"] = colorizer.overlay(photo, hints)
        return outputs

    return predict


def segmentation_predictor(network: Network, args: argparse.Namespace) -> Predictor:
    segmenter = Segmenter(network, args.working_size)

    def predict(path: Path, image: torch.Tensor) -> Outputs:
        labels = segmenter.labels(image)
        return {"": labels[None], "_overlay": segmenter.overlay(image, labels)}

    return predict


def tiled_predictor(network: Network, args: argparse.Namespace) -> Predictor:
    """Flare removal and super-resolution: the whole photo in overlapping tiles."""
    restorer = Restorer(network, args.tile_size, args.tile_overlap)
    return lambda path, image: {"": restorer(image)}


PREDICTORS = {
    "colorization": colorization_predictor,
    "segmentation": segmentation_predictor,
    "flare": tiled_predictor,
    "superres": tiled_predictor,
}


def check_options(task: str, args: argparse.Namespace, source: str) -> None:
    """Options of another task than the model's stop with the model's task named."""
    not_for = {
        "colorization": FLARE_OPTIONS,
        "segmentation": (*COLORIZATION_OPTIONS, *FLARE_OPTIONS),
        "flare": (*COLORIZATION_OPTIONS, "working_size"),
        "superres": (*COLORIZATION_OPTIONS, "working_size"),
    }[task]
    wrong = [name for name in not_for if getattr(args, name) not in (None, False)]
    if wrong:
        flags = ", ".join("--" + n.replace("_", "-") for n in wrong)
        raise ValueError(f"{flags}: not for {source}, which is a {task} model.")


# --- the command -----------------------------------------------------------------------------
def predict(args: argparse.Namespace) -> list[Path]:
    """Every input predicted; returns the files written."""
    inputs, outputs = Path(args.inputs), Path(args.outputs)
    images = input_images(inputs, outputs)
    network = open_network(args.checkpoint, args.onnx, args.device)
    source = shown(args.onnx or args.checkpoint)
    check_options(network.spec.task, args, source)
    check_hint_files(images, args)
    predictor = PREDICTORS[network.spec.task](network, args)
    written = []
    for path in images:
        name = relative(path, inputs).with_suffix("")
        for suffix, image in predictor(path, load_rgb(path)).items():
            target = outputs / name.parent / f"{name.name}{suffix}.png"
            target.parent.mkdir(parents=True, exist_ok=True)
            write_png(image, str(target))
            written.append(target)
        log.info("%s -> %s", shown(path), shown(outputs / name.parent / f"{name.name}.png"))
    return written


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
    color = parser.add_argument_group("colorization")
    hints = color.add_mutually_exclusive_group()
    hints.add_argument("--hints", help="hint file (.png RGBA layer or .json points) or folder")
    hints.add_argument("--hints-from", help="colour original(s) to sample hints from")
    sampled = color.add_mutually_exclusive_group()
    sampled.add_argument("--hint-ratio", type=float, help="fraction of pixels (default 0.01)")
    sampled.add_argument("--hint-points", type=int, help="number of patch hints instead")
    color.add_argument("--hint-seed", type=int, default=0, help="seed of sampled hints")
    color.add_argument("--overlay", action="store_true", help="also write <name>_hints.png")
    color.add_argument(
        "--working-size", type=int, help="shorter side the network sees (default: the run's)"
    )
    flare = parser.add_argument_group("flare, super-resolution")
    flare.add_argument("--tile-size", type=int, help="override the model's tile size")
    flare.add_argument("--tile-overlap", type=int, help="override the model's tile overlap")
    args = parser.parse_args(argv)
    expected = 2 if args.onnx is not None else 3
    if len(args.paths) != expected:
        wanted = "--onnx MODEL INPUTS OUTPUTS" if args.onnx else "CHECKPOINT INPUTS OUTPUTS"
        parser.error(f"give {wanted} ({len(args.paths)} paths given)")
    args.checkpoint = None if args.onnx else args.paths[0]
    args.inputs, args.outputs = args.paths[-2:]
    if (args.hint_ratio is not None or args.hint_points is not None) and not args.hints_from:
        parser.error("--hint-ratio and --hint-points sample from --hints-from originals")
    if args.hint_ratio is not None and not 0 <= args.hint_ratio <= 1:
        parser.error(f"--hint-ratio must be in [0, 1], got {args.hint_ratio}")
    if args.hint_points is not None and args.hint_points < 0:
        parser.error(f"--hint-points must be >= 0, got {args.hint_points}")
    return args


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_arguments(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    try:
        written = predict(args)
    except Exception as error:
        exit_on_user_error(error, lambda message: print(f"error: {message}", file=sys.stderr))
        raise
    print(f"Wrote {len(written)} images to {shown(args.outputs)}")


if __name__ == "__main__":
    main()
