"""python -m colorization.predict: arguments and paths checked before any work."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from colorization.predict import main, parse_arguments
from colorization.prediction import input_images


def test_bad_paths_are_named_in_one_line_before_the_model_loads(tmp_path: Path, capsys) -> None:
    checkpoint = tmp_path / "run" / "checkpoints" / "last.ckpt"
    checkpoint.parent.mkdir(parents=True)
    checkpoint.write_bytes(b"not even a checkpoint: loading it would fail differently")
    (tmp_path / "images").mkdir()
    (tmp_path / "a_file.png").write_bytes(b"")
    (tmp_path / "notes.txt").write_text("")
    cases = [
        ((str(tmp_path / "missing.ckpt"), str(tmp_path), "out"), "checkpoint: "),
        ((str(checkpoint), str(tmp_path / "nowhere"), "out"), "Set the inputs argument"),
        ((str(checkpoint), str(tmp_path / "images"), str(tmp_path / "a_file.png")), "outputs: "),
        ((str(checkpoint), str(tmp_path / "notes.txt"), "out"), "is not an image"),
        (("--onnx", str(tmp_path / "m.onnx"), str(tmp_path / "a_file.png"), "out"), "--onnx: "),
    ]
    for arguments, expected in cases:  # in this process: the command's own exit and output
        with pytest.raises(SystemExit) as stopped:
            main(list(arguments))
        stderr = capsys.readouterr().err
        assert stopped.value.code == 2, stderr
        assert stderr.startswith("error: ") and expected in stderr, stderr
        assert stderr.count("\n") == 1 and "Traceback" not in stderr


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["ckpt", "in"], "give CHECKPOINT INPUTS OUTPUTS (2 paths given)"),
        (["--onnx", "m.onnx", "ckpt", "in", "out"], "give --onnx MODEL INPUTS OUTPUTS"),
        (["c", "i", "o", "--hint-ratio", "0.1"], "sample from --hints-from originals"),
        (["c", "i", "o", "--hints-from", "x", "--hint-ratio", "2"], "must be in [0, 1]"),
        (["c", "i", "o", "--hints-from", "x", "--hint-points", "-1"], "must be >= 0"),
        (["c", "i", "o", "--hints", "h.png", "--hints-from", "x"], "not allowed with"),
    ],
)
def test_argument_mistakes_are_usage_errors(arguments, message, capsys) -> None:
    with pytest.raises(SystemExit) as stop:
        parse_arguments(arguments)
    assert stop.value.code == 2 and message in capsys.readouterr().err


def test_two_inputs_that_would_write_the_same_output_are_refused(tmp_path: Path) -> None:
    for name in ("a.png", "a.jpg"):
        (tmp_path / "in" / name).parent.mkdir(exist_ok=True)
        (tmp_path / "in" / name).write_bytes(b"")
    with pytest.raises(ValueError, match="would both be written as a.png; rename one"):
        input_images(tmp_path / "in", tmp_path / "out")
    with pytest.raises(ValueError, match="another folder than the inputs"):
        input_images(tmp_path / "in", tmp_path / "in")


def test_an_outputs_folder_inside_the_inputs_is_left_out_of_them(tmp_path: Path) -> None:
    """A rerun once colorized its own earlier outputs (results/a.png -> results/results/a.png)."""
    for name in ("a.png", "trip/b.jpg", "results/a.png", "results/trip/b.png"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(b"")
    found = input_images(tmp_path, tmp_path / "results")
    assert sorted(p.relative_to(tmp_path).as_posix() for p in found) == ["a.png", "trip/b.jpg"]
    with pytest.raises(ValueError, match="every image under .* is in the outputs folder"):
        input_images(tmp_path / "results" / "trip", tmp_path / "results")


def test_hint_files_are_matched_by_relative_path_and_name(tmp_path: Path) -> None:
    from colorization.inference.companions import matched_file

    (tmp_path / "trip").mkdir()
    (tmp_path / "trip" / "a[1].json").write_text("[]")  # glob characters in the name
    assert matched_file(tmp_path, Path("trip/a[1].jpg"), (".png", ".json"), "--hints") == (
        tmp_path / "trip" / "a[1].json"
    )
    assert matched_file(tmp_path, Path("other/b.jpg"), (".png", ".json"), "--hints") is None
    (tmp_path / "trip" / "a[1].png").write_bytes(b"")
    with pytest.raises(ValueError, match=r"a\[1\].json, a\[1\].png all match"):
        matched_file(tmp_path, Path("trip/a[1].jpg"), (".png", ".json"), "--hints")


@pytest.mark.parametrize(
    "arguments", [["--help"], ["ckpt", "in"], ["c", "i", "o", "--hint-ratio", "2"]]
)
def test_help_and_argument_mistakes_answer_before_torch_is_imported(arguments) -> None:
    """``predict --help`` took 16-21 s on a loaded machine: it imported torch, torchvision's
    models and torch._dynamo through the task plugins (docs/predict.md has the times)."""
    code = (
        "import sys\nfrom colorization.predict import main\n"
        f"try:\n    main({arguments!r})\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in ('torch', 'torchvision', 'numpy', 'PIL') if m in sys.modules]\n"
        "print('imported:', heavy, file=sys.stderr)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stderr.strip().splitlines()[-1] == "imported: []"
