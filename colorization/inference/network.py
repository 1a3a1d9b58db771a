"""A trained network as one function ``inputs (N, C, H, W) float32 -> outputs``, whether it runs
in PyTorch (from a checkpoint) or in onnxruntime (from an exported file, with no checkpoint and
no Lightning)."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

import torch
from torch import nn

from colorization.data.images import shown
from colorization.inference.spec import SPEC_KEY, InferenceSpec


class Network(Protocol):
    spec: InferenceSpec

    def __call__(self, inputs: torch.Tensor) -> torch.Tensor: ...


def checked_spec(network: Network, task: str) -> InferenceSpec:
    """The network's spec, if it is a model of ``task``."""
    if network.spec.task != task:
        raise ValueError(f"This is a {network.spec.task} model, not a {task} one.")
    return network.spec


class TaskNetwork(nn.Module):
    """What a task computes at inference, as ``colorization.export`` writes it: the network,
    its raw output decoded by ``decoder`` when the loss has one (ab bin scores -> ab). A task
    that adds more around its network (a residual input, an up-sampling) subclasses this."""

    def __init__(self, net: nn.Module, decoder: nn.Module | None = None) -> None:
        super().__init__()
        self.net = net
        self.decoder = decoder

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        output = self.net(inputs)
        if self.decoder is not None:  # scores at 1/output_stride of the input's resolution
            stride = getattr(self.net, "output_stride", 1)
            output = self.decoder(output, inputs.shape[-2:], stride)
        return output


class TorchNetwork:
    """A :class:`TaskNetwork` in eval mode on ``device``; takes and returns CPU tensors."""

    def __init__(self, module: TaskNetwork, spec: InferenceSpec, device: str = "cpu") -> None:
        self.module = module.eval().to(device)
        self.spec = spec
        self.device = torch.device(device)

    @torch.inference_mode()
    def __call__(self, inputs: torch.Tensor) -> torch.Tensor:
        return self.module(inputs.to(self.device)).float().cpu()


class OnnxNetwork:
    """An exported network run by onnxruntime; its spec comes from the file's metadata."""

    def __init__(self, path: str | Path, device: str = "cpu") -> None:
        import onnxruntime  # imported here: checkpoints and training do not need it

        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(
                f"--onnx: {shown(path)} is not a file. Export one with python -m "
                "colorization.export <checkpoint> model.onnx."
            )
        providers = ["CPUExecutionProvider"]
        if device.startswith("cuda"):
            providers.insert(0, "CUDAExecutionProvider")
        try:
            self.session = onnxruntime.InferenceSession(str(path), providers=providers)
        except Exception as error:  # onnxruntime raises its own types for every kind of bad file
            raise ValueError(
                f"--onnx: {shown(path)} is not a readable ONNX model ({error})."
            ) from None
        metadata = self.session.get_modelmeta().custom_metadata_map
        if SPEC_KEY not in metadata:
            raise ValueError(
                f"--onnx: {shown(path)} has no {SPEC_KEY} metadata: it was not written by "
                "python -m colorization.export, so its task and normalisation are unknown."
            )
        try:
            self.spec = InferenceSpec.from_json(metadata[SPEC_KEY])
        except (ValueError, TypeError) as error:  # not JSON, or not a spec
            raise ValueError(
                f"--onnx: {shown(path)}: its {SPEC_KEY} metadata is not a spec this version "
                f"reads ({error}); export the model again with python -m colorization.export."
            ) from None
        self.path = path
        self.input_name = self.session.get_inputs()[0].name

    def __call__(self, inputs: torch.Tensor) -> torch.Tensor:
        array = inputs.detach().float().cpu().contiguous().numpy()
        try:
            (output,) = self.session.run(None, {self.input_name: array})
        except Exception as error:  # onnxruntime raises its own types for a graph that fails
            raise ValueError(
                f"--onnx: {shown(self.path)} does not run on inputs of shape {array.shape} as "
                f"its metadata describes them ({self.spec.in_channels} channels): the file and "
                f"its metadata disagree ({type(error).__name__}); export it again."
            ) from None
        return torch.from_numpy(output)
