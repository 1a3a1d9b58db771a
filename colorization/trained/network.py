"""The network a command applies: from a checkpoint or run folder (PyTorch), or from an exported
ONNX file (onnxruntime, with neither the checkpoint nor Lightning imported)."""

from __future__ import annotations

from pathlib import Path

from colorization.data.images import shown
from colorization.inference.network import Network, OnnxNetwork


def open_network(checkpoint: str | Path | None, onnx: str | Path | None, device: str) -> Network:
    """The network of a checkpoint (or run folder), or of an exported ONNX file."""
    if onnx is not None:
        return OnnxNetwork(onnx, device)
    checkpoint = Path(str(checkpoint))
    if not checkpoint.exists():
        raise FileNotFoundError(
            f"checkpoint: {shown(checkpoint)} does not exist. Give a .ckpt file from a run's "
            "checkpoints/ folder, a run folder, or --onnx model.onnx."
        )
    from colorization.trained.run import trained_network  # Lightning is imported only here

    return trained_network(checkpoint, device)
