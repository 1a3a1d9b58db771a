"""Run a trained image-restoration model (``task=flare``) over a folder of images.

    python -m colorization.predict outputs/flare_default/checkpoints/last.ckpt \
        /photos/flared /photos/restored [--tile-size 512] [--device cuda]

The task is rebuilt from the run's saved config (``<run>/.hydra/config.yaml``), its weights
loaded from the checkpoint (torch's safe unpickler). Every image, whatever its size, goes through
the task's tiled whole-image inference; the result is saved as PNG under the output folder with
the input's relative path.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

import pytorch_lightning as pl
import torch
from torchvision.io import write_png

from colorization.data.images import find_images, load_rgb, shown
from colorization.errors import exit_on_user_error
from colorization.runs import build_run_task, load_weights, open_run

log = logging.getLogger(__name__)


def load_task(checkpoint: str | Path) -> pl.LightningModule:
    """The task of the run that wrote ``checkpoint`` (``<run>/checkpoints/*.ckpt``), weights
    loaded, in eval mode."""
    checkpoint = Path(checkpoint)
    if not checkpoint.is_file():
        raise FileNotFoundError(
            f"Checkpoint {checkpoint} does not exist. Give a .ckpt file from a run's checkpoints/ "
            "folder."
        )
    run = open_run(checkpoint)
    task = build_run_task(run)
    if not task.predicts_images:
        raise ValueError(
            f"{type(task).__name__} has no image prediction; python -m colorization.predict "
            "serves restoration tasks (task=flare)."
        )
    load_weights(run, task)
    return task.eval()


@torch.no_grad()
def predict_folder(
    task: pl.LightningModule, inputs: str | Path, outputs: str | Path, device: str = "cpu"
) -> list[Path]:
    """Restore every image under ``inputs``; returns the PNGs written under ``outputs``."""
    inputs, outputs = Path(inputs), Path(outputs)
    images = find_images(inputs, option="the inputs argument")
    task = task.to(device)
    written = []
    for index, path in enumerate(images):
        image = load_rgb(path)[None].to(device)
        restored = task.predict_step({"input": image}, index)[0].cpu()
        target = (outputs / path.relative_to(inputs)).with_suffix(".png")
        target.parent.mkdir(parents=True, exist_ok=True)
        write_png(restored, str(target))
        written.append(target)
        log.info("%s -> %s", shown(path), shown(target))
    return written


def check_paths(checkpoint: Path, inputs: Path, outputs: Path) -> list[Path]:
    """Every path argument checked before the model is loaded; returns the input images."""
    if not checkpoint.is_file():
        raise FileNotFoundError(
            f"checkpoint: {shown(checkpoint)} is not a file. Give a .ckpt file from a run's "
            "checkpoints/ folder."
        )
    if outputs.exists() and not outputs.is_dir():
        raise FileExistsError(f"outputs: {shown(outputs)} is a file; give a folder to write into.")
    if inputs.resolve() == outputs.resolve():
        raise ValueError("outputs: give another folder than the inputs (images would be mixed).")
    return find_images(inputs, option="the inputs argument")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m colorization.predict", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("checkpoint", help="a .ckpt file inside a run folder")
    parser.add_argument("inputs", help="folder of images (searched recursively)")
    parser.add_argument("outputs", help="folder for the restored PNGs")
    parser.add_argument("--tile-size", type=int, help="override the run's task.tile_size")
    parser.add_argument("--tile-overlap", type=int, help="override the run's task.tile_overlap")
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    try:
        check_paths(Path(args.checkpoint), Path(args.inputs), Path(args.outputs))
        task = load_task(args.checkpoint)
        for name in ("tile_size", "tile_overlap"):
            if getattr(args, name) is not None:
                task.hparams[name] = getattr(args, name)
        written = predict_folder(task, args.inputs, args.outputs, args.device)
    except Exception as error:
        exit_on_user_error(error, lambda message: print(f"error: {message}", file=sys.stderr))
        raise
    print(f"Wrote {len(written)} images to {args.outputs}")


if __name__ == "__main__":
    main()
