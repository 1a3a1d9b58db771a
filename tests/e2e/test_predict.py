"""python -m colorization.predict end to end: every task, odd sizes, hint files and errors."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from helpers import photo, write_image
from PIL import Image

from colorization.predict import main


@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def predict(capsys):
    """``predict(*arguments)`` runs the command in this process (tests/unit/test_predict.py
    runs it as a process); returns its exit code and output."""

    def run(*arguments: object) -> Result:
        capsys.readouterr()
        try:
            main([str(a) for a in arguments])
            code = 0
        except SystemExit as stop:
            code = int(stop.code or 0)
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return run


@pytest.fixture(scope="module")
def photos(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Odd-sized photos, one in a sub-folder."""
    root = tmp_path_factory.mktemp("photos")
    write_image(root / "odd.png", photo(37, 53))
    write_image(root / "nested" / "tall.jpg", photo(70, 41, seed=1))
    return root


def size(path: Path) -> tuple[int, int]:
    with Image.open(path) as image:
        return image.size


def test_colorization_with_a_folder_of_hint_files_matched_by_name(
    predict, trained_runs, photos, tmp_path
) -> None:
    hints = tmp_path / "hints"
    (hints / "nested").mkdir(parents=True)
    layer = np.zeros((37, 53, 4), np.uint8)
    layer[10:14, 20:24] = (255, 0, 0, 255)
    Image.fromarray(layer, "RGBA").save(hints / "odd.png")
    (hints / "nested" / "tall.json").write_text(json.dumps([{"x": 40, "y": 69, "hex": "#00f"}]))
    out = tmp_path / "out"
    result = predict(trained_runs["colorization"], photos, out, "--hints", hints, "--overlay")
    assert result.returncode == 0, result.stderr[-2000:]
    assert "Wrote 4 images" in result.stdout
    assert size(out / "odd.png") == (53, 37) and size(out / "odd_hints.png") == (53, 37)
    assert size(out / "nested" / "tall.png") == (41, 70)
    overlay = np.asarray(Image.open(out / "odd_hints.png")).astype(int)
    assert overlay[11, 21, 0] > overlay[11, 21, 2] + 40  # the red hint is shown where it was put


def test_colorization_of_one_file_with_no_hints_and_with_sampled_ones(
    predict, trained_runs, photos, tmp_path
) -> None:
    run = trained_runs["colorization"]
    none = predict(run / "checkpoints" / "last.ckpt", photos / "odd.png", tmp_path / "none")
    assert none.returncode == 0, none.stderr[-2000:]
    sampled = predict(
        run,
        photos / "odd.png",
        tmp_path / "sampled",
        "--hints-from",
        photos / "odd.png",
        "--hint-ratio",
        "0.05",
    )
    assert sampled.returncode == 0, sampled.stderr[-2000:]
    assert size(tmp_path / "sampled" / "odd.png") == (53, 37)
    first = np.asarray(Image.open(tmp_path / "none" / "odd.png"))
    assert not np.array_equal(first, np.asarray(Image.open(tmp_path / "sampled" / "odd.png")))
    missing = predict(run, photos, tmp_path / "m", "--hints-from", tmp_path / "none")
    # that photo is listed; the other one is colorized all the same
    assert missing.returncode == 1 and "no colour original of nested/tall.jpg" in missing.stderr
    assert (tmp_path / "m" / "odd.png").is_file()


def test_a_bad_hint_file_stops_before_any_image_is_written(
    predict, trained_runs, photos, tmp_path
) -> None:
    hints = tmp_path / "hints"
    (hints / "nested").mkdir(parents=True)
    Image.new("RGBA", (10, 10)).save(hints / "nested" / "tall.png")
    result = predict(trained_runs["colorization"], photos, tmp_path / "out", "--hints", hints)
    assert (
        result.returncode == 2 and "tall.png is 10 x 10 but the photo is 41 x 70" in result.stderr
    )
    assert result.stderr.count("\n") == 1 and not (tmp_path / "out").exists()


def test_segmentation_writes_index_masks_and_overlays(
    predict, trained_runs, photos, tmp_path
) -> None:
    result = predict(trained_runs["segmentation"], photos, tmp_path / "out")
    assert result.returncode == 0, result.stderr[-2000:]
    mask = np.asarray(Image.open(tmp_path / "out" / "nested" / "tall.png"))
    assert mask.shape == (70, 41) and set(np.unique(mask)) <= {0, 1}
    assert size(tmp_path / "out" / "odd_overlay.png") == (53, 37)


def test_options_of_another_task_name_the_checkpoints_task(
    predict, trained_runs, photos, tmp_path
) -> None:
    result = predict(
        trained_runs["segmentation"],
        photos,
        tmp_path / "out",
        "--hints",
        tmp_path,
        "--tile-size",
        "64",
    )
    assert result.returncode == 2
    assert (
        "--hints, --tile-size: not for" in result.stderr and "segmentation model" in result.stderr
    )


def test_flare_restores_whole_images_in_tiles(predict, trained_runs, photos, tmp_path) -> None:
    result = predict(trained_runs["flare"], photos, tmp_path / "out", "--tile-size", "24")
    assert result.returncode == 0, result.stderr[-2000:]
    assert size(tmp_path / "out" / "nested" / "tall.png") == (41, 70)


def test_inputs_that_cannot_be_predicted_are_listed_and_the_others_predicted(
    predict, trained_runs, tmp_path
) -> None:
    """Checked before the model is loaded: an unreadable file, a truncated one, one above the
    pixel limit (its header claims it); an animation gives its first frame; a name that is not
    UTF-8 is written back under its own bytes."""
    inputs = tmp_path / "in"
    write_image(inputs / "good.png", photo(24, 30))
    (inputs / "junk.png").write_bytes(b"not an image at all")
    write_image(inputs / "cut.jpg", photo(40, 40, seed=2))
    whole = (inputs / "cut.jpg").read_bytes()
    (inputs / "cut.jpg").write_bytes(whole[: len(whole) // 2])
    write_image(inputs / "huge.png", photo(60, 50, seed=3))
    frames = [Image.fromarray(photo(20, 28, seed=s).permute(1, 2, 0).numpy()) for s in (4, 5)]
    frames[0].save(inputs / "animated.png", format="GIF", save_all=True, append_images=frames[1:])
    odd_name = Path(os.fsdecode(bytes(inputs) + b"/caf\xe9.png"))
    write_image(odd_name, photo(22, 26, seed=6))

    result = predict(trained_runs["colorization"], inputs, tmp_path / "out", "--max-pixels", 2000)

    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "3 inputs were not predicted" in result.stderr
    assert "junk.png: unreadable" in result.stderr and "cut.jpg: truncated" in result.stderr
    assert "huge.png: too large: 50x60" in result.stderr
    out = tmp_path / "out"
    assert size(out / "good.png") == (30, 24) and size(out / "animated.png") == (28, 20)
    assert Path(os.fsdecode(bytes(out) + b"/caf\xe9.png")).is_file()
