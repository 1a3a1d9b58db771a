"""The work of ``python -m colorization.predict`` (:mod:`colorization.predict` parses the command
line, then imports this): the inputs found and checked before any work, the network opened,
each input predicted by its task's predictor and the outputs written; an input that fails is
listed and the others go on."""

from __future__ import annotations

import argparse
import logging
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torchvision.io import encode_png

from colorization.data.file_checks import check_file
from colorization.data.images import IMAGE_EXTENSIONS, find_images, load_rgb, shown
from colorization.errors import problem_of
from colorization.inference.companions import relative
from colorization.tasks.registry import options_of_other_tasks, task_plugin
from colorization.trained.network import open_network

log = logging.getLogger("colorization.predict")


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
    device = args.device
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    network = open_network(args.checkpoint, args.onnx, device)
    usable, unusable = checked_images(images, args.max_pixels)
    if not usable:
        path, problem = unusable[0]
        raise ValueError(f"inputs: no usable image ({shown(path)}: {problem}).")
    plugin = task_plugin(network.spec.task)
    wrong = options_of_other_tasks(plugin, "predict", args)
    if wrong:
        source = shown(args.onnx or args.checkpoint)
        raise ValueError(f"{', '.join(wrong)}: not for {source}, which is a {plugin.name} model.")
    predictor = plugin.predict.predictor(network, args, usable)
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
