"""python -m colorization.export: ONNX files that match PyTorch on any size and predict alone."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from helpers import photo, train_run, write_image
from PIL import Image

from colorization.export import ParityError, export, main
from colorization.inference.network import OnnxNetwork
from colorization.models.zoo import model_names

DEFAULT_MODEL = ("model.base_width=16", "model.depth=4")  # conf/model/unet.yaml's own values

# Runs prediction from the ONNX file with Lightning made unimportable.
WITHOUT_LIGHTNING = (
    "import sys; sys.modules['pytorch_lightning'] = sys.modules['lightning'] = None; "
    "from colorization.predict import main; main(sys.argv[1:])"
)


@pytest.fixture(scope="module")
def default_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return train_run(tmp_path_factory.mktemp("default") / "run", *DEFAULT_MODEL)


def test_the_default_model_exports_and_matches_pytorch_on_two_sizes(
    default_run, tmp_path, capsys
) -> None:
    output = tmp_path / "model.onnx"
    main([str(default_run / "checkpoints" / "last.ckpt"), str(output)])
    printed = capsys.readouterr().out
    assert "max abs difference: 1x4x64x64: " in printed and "2x4x39x83: " in printed
    network = OnnxNetwork(output)
    assert (network.spec.task, network.spec.setting("working_size")) == ("colorization", 64)
    assert network.spec.model == "colorization.models.unet.UNet"
    import onnx

    dims = onnx.load(str(output)).graph.input[0].type.tensor_type.shape.dim
    assert [d.dim_param or d.dim_value for d in dims] == ["batch", 4, "height", "width"]


def test_predicting_from_the_onnx_file_needs_no_checkpoint_and_no_lightning(
    default_run, tmp_path
) -> None:
    export(default_run, tmp_path / "model.onnx")
    write_image(tmp_path / "in" / "odd.png", photo(37, 53))
    hints = ("--hints-from", tmp_path / "in", "--hint-points", "5")
    onnx_run = subprocess.run(
        [
            sys.executable,
            "-c",
            WITHOUT_LIGHTNING,
            "--onnx",
            tmp_path / "model.onnx",
            tmp_path / "in",
            tmp_path / "onnx",
            *hints,
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert onnx_run.returncode == 0, onnx_run.stderr[-2000:]
    from colorization.predict import main as predict

    predict([str(a) for a in (default_run, tmp_path / "in", tmp_path / "torch", *hints)])
    from_onnx = np.asarray(Image.open(tmp_path / "onnx" / "odd.png")).astype(int)
    from_torch = np.asarray(Image.open(tmp_path / "torch" / "odd.png")).astype(int)
    assert from_onnx.shape == (37, 53, 3) and np.abs(from_onnx - from_torch).max() <= 1


def test_a_failed_parity_check_writes_no_file(default_run, tmp_path) -> None:
    with pytest.raises(ParityError, match="was not written"):
        export(default_run, tmp_path / "model.onnx", tolerance=-1.0)
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(ValueError, match="should end in .onnx"):
        export(default_run, tmp_path / "model.bin")


def test_export_errors_are_one_line(tmp_path) -> None:
    command = [sys.executable, "-m", "colorization.export", str(tmp_path / "none.ckpt"), "m.onnx"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and result.stderr.startswith("error: ")
    assert "does not exist" in result.stderr and result.stderr.count("\n") == 1


@pytest.mark.slow
@pytest.mark.parametrize("model", model_names())
def test_every_zoo_model_exports_with_parity(model: str, tmp_path: Path) -> None:
    run = train_run(tmp_path / "run", f"model={model}")
    results = export(run, tmp_path / "model.onnx")  # raises ParityError above 1e-4
    assert len(results) == 2 and max(d for _, d in results) <= 1e-4


@pytest.mark.slow
def test_a_bin_classifier_exports_with_its_decoding(tmp_path: Path) -> None:
    """loss=ab_classification: the exported graph ends in the annealed mean and the 4x
    up-sampling of eccv16's quarter-resolution scores, so the file outputs ab like any other."""
    overrides = ("model=eccv16", "loss=ab_classification", "task/hints=none", "task.in_channels=1")
    run = train_run(tmp_path / "run", *overrides)
    results = export(run, tmp_path / "model.onnx")
    assert [shape for shape, _ in results] == [(1, 1, 64, 64), (2, 1, 39, 83)]
    assert max(difference for _, difference in results) <= 1e-4
    network = OnnxNetwork(tmp_path / "model.onnx")
    assert network(photo(37, 53)[None, :1].float() / 127.5 - 1).shape == (1, 2, 37, 53)
