"""Export a trained model to ONNX, with what prediction needs in the file's metadata.

    python -m colorization.export outputs/my_run/checkpoints/last.ckpt model.onnx
    python -m colorization.predict --onnx model.onnx photo.jpg results/ [--hints hints.png]

The file takes any batch size, height and width (the network's pad-to-a-multiple and crop back
are part of the graph); its metadata (key ``colorization.spec``) records the task, channels,
working size or tiles, and classes, and ``inputs`` / ``outputs`` describe the tensors. Before
the file is written, onnxruntime runs it on two input sizes and its outputs are compared with
PyTorch's (the largest absolute difference is printed; above ``--tolerance`` nothing is written).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import sys
import tempfile
import warnings
from collections.abc import Sequence
from pathlib import Path

import torch

from colorization import __version__
from colorization.data.images import shown
from colorization.errors import exit_on_user_error
from colorization.inference.network import OnnxNetwork, TorchNetwork
from colorization.inference.spec import SPEC_KEY, InferenceSpec
from colorization.tasks.registry import task_plugin

DYNAMIC_AXES = {0: "batch", 2: "height", 3: "width"}


class ParityError(Exception):
    """onnxruntime's outputs differ from PyTorch's by more than the tolerance."""


def example_side(spec: InferenceSpec) -> int:
    """The side of the example input: the size the network works at."""
    return int(spec.setting("working_size") or spec.setting("tile_size") or 128)


def check_sizes(spec: InferenceSpec) -> list[tuple[int, int, int, int]]:
    """Two input shapes for the parity check: the working size, and another batch of an odd
    size that needs the padding."""
    side = example_side(spec)
    return [(1, spec.in_channels, side, side), (2, spec.in_channels, side // 2 + 7, side + 19)]


def metadata(spec: InferenceSpec, source: str) -> dict[str, str]:
    return {
        SPEC_KEY: spec.to_json(),
        "colorization.version": __version__,
        "source": source,
        "tensors": task_plugin(spec.task).export.tensors,
    }


def write_onnx(network: TorchNetwork, path: Path, source: str, opset: int | None) -> None:
    """Export ``network`` with dynamic batch, height and width, metadata attached."""
    import onnx

    spec = network.spec
    side = example_side(spec)
    example = torch.rand(2, spec.in_channels, side, side) * 2 - 1  # batch 2: not specialised
    module = network.module.cpu().eval()
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        torch.onnx.export(
            module,
            (example,),
            str(path),
            dynamo=True,
            input_names=["inputs"],
            output_names=["outputs"],
            dynamic_shapes=(DYNAMIC_AXES,),
            opset_version=opset,
            external_data=False,  # one self-contained file (models under 2 GB)
        )
    model = onnx.load(str(path))
    onnx.helper.set_model_props(model, metadata(spec, source))
    tensors = task_plugin(spec.task).export.tensors
    model.doc_string = f"colorization {spec.task} model ({spec.model}). {tensors}"
    onnx.save(model, str(path))
    network.module.to(network.device)


def parity(network: TorchNetwork, path: Path, seed: int = 0) -> list[tuple[tuple, float]]:
    """(shape, max abs difference) of onnxruntime against PyTorch on each check size."""
    exported = OnnxNetwork(path)
    generator = torch.Generator().manual_seed(seed)
    results = []
    for shape in check_sizes(network.spec):
        inputs = torch.rand(shape, generator=generator) * 2 - 1
        difference = (exported(inputs) - network(inputs)).abs().max().item()
        results.append((shape, difference))
    return results


def export(
    checkpoint: str | Path,
    output: str | Path,
    tolerance: float = 1e-4,
    opset: int | None = None,
) -> list[tuple[tuple, float]]:
    """Write ``output`` from a checkpoint or run folder; returns the parity results."""
    from colorization.trained.run import trained_network

    output = Path(output)
    if output.suffix != ".onnx":
        raise ValueError(f"output: {shown(output)} should end in .onnx.")
    if output.is_dir():
        raise IsADirectoryError(f"output: {shown(output)} is a folder; give a file name.")
    network = trained_network(checkpoint)
    output.parent.mkdir(parents=True, exist_ok=True)
    # Written in a new private folder beside the output and renamed over it: whole or not at
    # all, and a link planted at the output's name is replaced, never written through.
    with tempfile.TemporaryDirectory(dir=output.parent, prefix=".export-") as scratch:
        partial = Path(scratch) / output.name
        write_onnx(network, partial, shown(checkpoint), opset)
        results = parity(network, partial)
        worst = max(difference for _, difference in results)
        if not worst <= tolerance:
            raise ParityError(
                f"onnxruntime differs from PyTorch by {worst:.2e} (> {tolerance:.0e}); "
                f"{shown(output)} was not written."
            )
        partial.replace(output)
    return results


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m colorization.export", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("checkpoint", help="a .ckpt file inside a run folder, or a run folder")
    parser.add_argument("output", help="the ONNX file to write, e.g. model.onnx")
    parser.add_argument(
        "--tolerance", type=float, default=1e-4, help="largest difference accepted (fp32)"
    )
    parser.add_argument("--opset", type=int, help="ONNX opset (default: the exporter's)")
    args = parser.parse_args(argv)
    try:
        results = export(args.checkpoint, args.output, args.tolerance, args.opset)
    except ParityError as error:
        print(f"error: {error}", file=sys.stderr)
        sys.exit(1)
    except Exception as error:
        exit_on_user_error(error, lambda message: print(f"error: {message}", file=sys.stderr))
        raise
    size = Path(args.output).stat().st_size / 2**20
    print(f"Wrote {shown(args.output)} ({size:.1f} MiB) from {shown(args.checkpoint)}")
    checks = ", ".join(f"{'x'.join(map(str, s))}: {d:.1e}" for s, d in results)
    print(f"onnxruntime vs PyTorch, max abs difference: {checks} (limit {args.tolerance:.0e})")


if __name__ == "__main__":
    main()
