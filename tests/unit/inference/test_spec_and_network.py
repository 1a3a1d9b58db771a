"""What a network needs around it (the spec) from a run config and through ONNX metadata."""

from __future__ import annotations

from pathlib import Path

import onnx
import pytest
import torch
from onnx import TensorProto, helper

from colorization.config import compose
from colorization.inference.network import OnnxNetwork, TaskNetwork
from colorization.inference.spec import SPEC_KEY, InferenceSpec
from colorization.trained.network import open_network
from colorization.trained.run import spec_from_config


def test_the_spec_of_each_task_comes_from_the_run_config() -> None:
    colorization = spec_from_config(compose([]))
    assert colorization.task == "colorization" and colorization.in_channels == 4
    assert colorization.setting("working_size") == 256  # 2 x 2 validation views of 128 px
    assert colorization.model == "colorization.models.unet.UNet"
    assert spec_from_config(compose(["data.root=/photos"])).setting("working_size") == 128
    assert colorization.setting("propagation") is None
    refining = ["task.propagation=levin", "task.in_channels=6"]
    assert spec_from_config(compose(refining)).setting("propagation") == "levin"
    segmentation = spec_from_config(
        compose(["task=segmentation", "task.num_classes=4", "task.class_names=[a,b,c,d]"])
    )
    assert (segmentation.out_channels, segmentation.setting("num_classes")) == (4, 4)
    assert segmentation.setting("class_names") == ["a", "b", "c", "d"]
    assert spec_from_config(compose(["task=segmentation"])).out_channels == 1
    superres = spec_from_config(compose(["task=superres", "task.scale=3"]))
    assert (superres.setting("scale"), superres.setting("tile_size")) == (3, 128)
    assert superres.out_channels == 3
    flare = spec_from_config(compose(["task=flare"]))
    assert (flare.setting("tile_size"), flare.setting("tile_overlap")) == (256, 32)
    assert flare.setting("working_size") is None


def test_the_spec_survives_json() -> None:
    settings = {"working_size": 64, "num_classes": 4, "class_names": ["a", "b", "c", "d"]}
    spec = InferenceSpec("segmentation", 3, 4, settings=settings)
    assert InferenceSpec.from_json(spec.to_json()) == spec
    refining = InferenceSpec("colorization", 6, 2, settings={"propagation": "levin"})
    assert InferenceSpec.from_json(refining.to_json()) == refining


def test_the_flat_spec_of_files_exported_by_0x_is_read() -> None:
    """0.8 wrote every field beside the task's; its files still predict."""
    flat = (
        '{"class_names": null, "ignore_index": null, "in_channels": 3, "model": "m", '
        '"num_classes": null, "out_channels": 3, "propagation": null, "scale": 2, '
        '"task": "superres", "tile_overlap": 32, "tile_size": 128, "working_size": null}'
    )
    spec = InferenceSpec.from_json(flat)
    assert (spec.task, spec.in_channels, spec.out_channels, spec.model) == ("superres", 3, 3, "m")
    assert spec.settings == {"scale": 2, "tile_overlap": 32, "tile_size": 128}


def test_metadata_that_describes_no_network_is_refused() -> None:
    with pytest.raises(ValueError, match="does not describe a network"):
        InferenceSpec.from_json('{"task": "flare"}')


def test_a_task_network_decodes_only_with_a_decoder() -> None:
    net = torch.nn.Conv2d(3, 3, 1)
    x = torch.rand(1, 3, 5, 7)
    assert torch.allclose(TaskNetwork(net)(x), net(x))


@pytest.mark.parametrize("size", [(37, 53), (8, 8)])
def test_a_bin_classifier_task_network_decodes_to_ab_at_the_input_size(size) -> None:
    """eccv16 scores bins at a quarter of the resolution (its ``output_stride``); the task
    network decodes them and brings them back to the input's size, as the task does."""
    from colorization.losses import ABClassificationLoss
    from colorization.models import ECCV16

    net, loss = ECCV16(1, 313, base_width=4).eval(), ABClassificationLoss()
    x = torch.rand(2, 1, *size)
    with torch.no_grad():
        decoded = TaskNetwork(net, decoder=loss.decoder)(x)
        from_scores = loss.decoder(net(x), size, stride=4)
    assert decoded.shape == (2, 2, *size)
    torch.testing.assert_close(decoded, from_scores)


def identity_onnx(path: Path, metadata: dict[str, str]) -> Path:
    """A hand-built ONNX identity model (no exporter needed)."""
    shape = ["batch", 3, "height", "width"]
    graph = helper.make_graph(
        [helper.make_node("Identity", ["inputs"], ["outputs"])],
        "identity",
        [helper.make_tensor_value_info("inputs", TensorProto.FLOAT, shape)],
        [helper.make_tensor_value_info("outputs", TensorProto.FLOAT, shape)],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    helper.set_model_props(model, metadata)
    onnx.save(model, str(path))
    return path


def test_an_onnx_file_runs_with_the_spec_of_its_metadata(tmp_path: Path) -> None:
    spec = InferenceSpec("flare", 3, 3, settings={"tile_size": 32, "tile_overlap": 4})
    network = OnnxNetwork(identity_onnx(tmp_path / "m.onnx", {SPEC_KEY: spec.to_json()}))
    assert network.spec == spec
    x = torch.rand(2, 3, 5, 7)
    assert torch.equal(network(x), x)


def test_onnx_files_that_cannot_serve_are_refused_with_the_fix(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="Export one with python -m colorization.export"):
        OnnxNetwork(tmp_path / "missing.onnx")
    (tmp_path / "junk.onnx").write_bytes(b"junk")
    with pytest.raises(ValueError, match="junk.onnx is not a readable ONNX model"):
        OnnxNetwork(tmp_path / "junk.onnx")
    bare = identity_onnx(tmp_path / "bare.onnx", {})
    with pytest.raises(ValueError, match="not written by python -m colorization.export"):
        OnnxNetwork(bare)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        open_network(tmp_path / "missing.ckpt", None, "cpu")


def test_onnx_metadata_that_is_not_a_spec_names_the_file(tmp_path: Path) -> None:
    bad = identity_onnx(tmp_path / "bad.onnx", {SPEC_KEY: "{not json"})
    with pytest.raises(ValueError, match=r"bad.onnx: its colorization.spec metadata is not a spec"):
        OnnxNetwork(bad)


def test_an_onnx_file_whose_metadata_disagrees_with_its_graph_says_so(tmp_path: Path) -> None:
    """The identity graph takes 3 channels; its metadata claims a 4-channel colorizer."""
    spec = InferenceSpec("colorization", 4, 2, settings={"working_size": 32})
    network = OnnxNetwork(identity_onnx(tmp_path / "liar.onnx", {SPEC_KEY: spec.to_json()}))
    with pytest.raises(ValueError, match=r"liar.onnx does not run on inputs of shape \(1, 4"):
        network(torch.rand(1, 4, 8, 8))
