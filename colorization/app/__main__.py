"""Show a trained model on a local web page: a photo in, the model's result beside it.

    python -m colorization.app outputs/my_run/checkpoints/last.ckpt   # then open http://127.0.0.1:7860
    python -m colorization.app --onnx model.onnx --port 8000

Every task has its page: pick a built-in photo (one is shown at once) or upload one, and compare
the result with the input on a before/after slider, with a zoom; colorization takes colour
hints clicked or painted on the photo, segmentation shows its classes over the photo,
denoising adds noise of a chosen level, super-resolution compares with bicubic enlarging.
Download the result. The default host 127.0.0.1 serves this computer only; ``--host 0.0.0.0``
serves everyone who can reach it on the network, with no login. ``--measure`` prints the time
of one update instead of serving.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

import torch

from colorization.data.images import shown
from colorization.errors import exit_on_user_error
from colorization.tasks.registry import task_plugin, task_plugins
from colorization.trained.network import open_network

MEASURED_SIDE = 512  # --measure: a photo of this size...
MEASURED_POINTS = 20  # ...with this many hint points, where the model takes hints
MEASURED_REPEATS = 10


def build_service(args: argparse.Namespace) -> tuple[Any, dict[str, Any]]:
    """The page's service for the given model (its task's page), and what the page shows of
    the model."""
    network = open_network(args.checkpoint, args.onnx, args.device)
    source = shown(args.onnx or args.checkpoint)
    plugin = task_plugin(network.spec.task)
    if plugin.page is None:
        served = ", ".join(name for name, p in task_plugins().items() if p.page is not None)
        raise ValueError(
            f"{source} is a {plugin.name} model; the page serves {served} models. Use python -m "
            "colorization.predict for the others."
        )
    service = plugin.page(network, args)
    model = network.spec.model.rsplit(".", 1)[-1] or "network"
    return service, {"task": plugin.name, "model": model, "source": source}


def sample_loaders() -> dict[str, Callable[[], torch.Tensor]]:
    """The built-in photos the page offers, those held out of the built-in training first."""
    from colorization.data.sample_photos import VALIDATION_PHOTOS, sample_photos

    photos = sorted(sample_photos(), key=lambda photo: photo.group not in VALIDATION_PHOTOS)
    return {photo.name: photo.load for photo in photos}


def measure(service) -> list[float]:
    """Seconds per update (request in, PNGs out) for a 512 x 512 photo, with 20 hint points
    where the model takes hints, each option at its default."""
    from skimage import data

    image = torch.from_numpy(data.astronaut()).permute(2, 0, 1).contiguous()
    photo = service.add_photo(image)
    points = []
    if service.layout.hints:
        generator = torch.Generator().manual_seed(0)
        xy = torch.randint(0, MEASURED_SIDE, (MEASURED_POINTS, 2), generator=generator).tolist()
        points = [{"x": x, "y": y, "hex": "#c04020", "radius": 2} for x, y in xy]
    service.update(photo["photo"], points)  # warm-up
    times = []
    for _ in range(MEASURED_REPEATS):
        start = time.perf_counter()
        service.update(photo["photo"], points)
        times.append(time.perf_counter() - start)
    return times


def argument_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m colorization.app",
        usage="%(prog)s (CHECKPOINT | --onnx MODEL) [--host HOST] [--port PORT]",
        description=__doc__.split("\n\n")[0],
    )
    parser.add_argument("checkpoint", nargs="?", help="a .ckpt file in a run folder, or the run")
    parser.add_argument("--onnx", help="an ONNX file from python -m colorization.export")
    parser.add_argument("--host", default="127.0.0.1", help="0.0.0.0 exposes it on the network")
    parser.add_argument(
        "--allowed-hosts",
        nargs="+",
        metavar="NAME",
        help="host names the page answers to (default: this computer's names, and --host); "
        "with --host 0.0.0.0, the names people type to reach it",
    )
    parser.add_argument("--port", type=int, default=7860)
    parser.add_argument("--working-size", type=int, help="shorter side the network sees")
    parser.add_argument("--tile-size", type=int, help="tiled models: input pixels per tile")
    parser.add_argument("--tile-overlap", type=int, help="tiled models: overlap of the tiles")
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--measure", action="store_true", help="time updates, then exit")
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    parser = argument_parser()
    args = parser.parse_args(argv)
    if (args.checkpoint is None) == (args.onnx is None):
        parser.error("give a checkpoint or --onnx MODEL (one of them)")
    if not 0 <= args.port <= 65535:
        parser.error(f"--port must be within 0-65535 (0: any free port), got {args.port}")
    try:
        service, model = build_service(args)
    except Exception as error:
        exit_on_user_error(error, lambda message: print(f"error: {message}", file=sys.stderr))
        raise
    if args.measure:
        times = measure(service)
        hints = f", {MEASURED_POINTS} hints" if service.layout.hints else ""
        facts = "; ".join(service.layout.facts)
        print(
            f"{MEASURED_SIDE} px photo{hints}, {model['task']} {model['model']} ({facts}) on "
            f"{args.device}: median {statistics.median(times):.3f} s, max {max(times):.3f} s "
            "per update"
        )
        return
    import uvicorn

    from colorization.app.server import LOCAL_HOSTS, create_app

    allowed = args.allowed_hosts or [*LOCAL_HOSTS, *([] if args.host == "0.0.0.0" else [args.host])]
    if args.host == "0.0.0.0" and not args.allowed_hosts:
        print("Answering only requests addressed to this computer's own names: give the names")
        print("others reach it by with --allowed-hosts (e.g. --allowed-hosts studio.lan).")

    print(f"Serving {model['source']} on http://{args.host}:{args.port} (Ctrl-C stops)")
    app = create_app(service, model, allowed, samples=sample_loaders())
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
