"""``python -m colorization.predict`` for colorization: each photo colorized with its hint file
(``--hints``: an RGBA PNG of the photo's size or JSON points; for a folder of inputs, a folder
of such files matched by relative path and name), with hints sampled from colour originals
(``--hints-from``), or with none; ``--overlay`` also writes the hints the network got."""

from __future__ import annotations

import argparse
import logging
from collections.abc import Sequence
from pathlib import Path

import torch
from PIL import Image

from colorization.data.images import IMAGE_EXTENSIONS, load_rgb, oriented_size, shown
from colorization.inference.companions import companion_file, relative
from colorization.inference.network import Network
from colorization.tasks.colorization.hint_files import read_hints
from colorization.tasks.colorization.inference import Colorizer
from colorization.tasks.plugin import Outputs, Predictor

log = logging.getLogger(__name__)
HINT_FILE_SUFFIXES = (".png", ".json")


def check_hint_files(images: Sequence[Path], inputs: Path, hints: Path) -> None:
    """Every hint file read against its photo's size before the first photo is colorized, so
    that a bad one stops the command before any work (the message names the file and the fix)."""
    for path in images:
        source = companion_file("--hints", hints, inputs, path, HINT_FILE_SUFFIXES)
        if source is not None:
            with Image.open(path) as image:
                width, height = oriented_size(image)
            read_hints(source, height, width)


def colorization_predictor(
    network: Network, args: argparse.Namespace, images: Sequence[Path]
) -> Predictor:
    colorizer = Colorizer(network, args.working_size)
    inputs = Path(args.inputs)
    if args.hints is not None:
        check_hint_files(images, inputs, Path(args.hints))

    def predict(path: Path, image: torch.Tensor) -> Outputs:
        photo = colorizer.prepare(image)
        height, width = photo.size
        hints = colorizer.no_hints(photo)
        if args.hints is not None:
            source = companion_file("--hints", Path(args.hints), inputs, path, HINT_FILE_SUFFIXES)
            if source is not None:
                hints = colorizer.user_hints(photo, read_hints(source, height, width))
            else:
                log.warning("%s: no hint file, colorized with no hints", shown(path))
        elif args.hints_from is not None:
            option = "--hints-from"
            source = companion_file(option, Path(args.hints_from), inputs, path, IMAGE_EXTENSIONS)
            if source is None:
                raise FileNotFoundError(
                    f"--hints-from: no colour original of {shown(relative(path, inputs))} in "
                    f"{shown(args.hints_from)} (matched by relative path and name)."
                )
            seed = args.hint_seed or 0
            hints = colorizer.sampled_hints(
                photo, load_rgb(source), args.hint_ratio, args.hint_points, seed
            )
        outputs = {"": colorizer.colorize(photo, hints)}
        if args.overlay:
            outputs["_hints"] = colorizer.overlay(photo, hints)
        return outputs

    return predict
