"""Hint files a person writes: RGBA PNG layers and JSON points, and every error they can hold."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from colorization.tasks.colorization.hint_files import (
    HintPoint,
    parse_color,
    parse_points,
    points_json,
    rasterize,
    read_hints,
)


def write_json(path: Path, data: object) -> Path:
    path.write_text(json.dumps(data))
    return path


def test_colours_are_read_as_rgb_lists_or_hex() -> None:
    assert parse_color([255, 136, 0], "p") == (255, 136, 0)
    assert parse_color("#ff8800", "p") == (255, 136, 0)
    assert parse_color("FF8800", "p") == (255, 136, 0)
    assert parse_color("#f80", "p") == (255, 136, 0)


@pytest.mark.parametrize(
    "value", ["#ff88", "orange", "#gg0000", [255, 0], [256, 0, 0], [1.5, 0, 0], [True, 0, 0], 3]
)
def test_a_colour_that_is_not_a_colour_is_named(value: object) -> None:
    with pytest.raises(ValueError, match="not a colour"):
        parse_color(value, "hints.json: point 0")


def test_points_take_the_shared_radius_unless_they_have_their_own() -> None:
    points = parse_points(
        {
            "radius": 2,
            "points": [
                {"x": 1, "y": 2, "hex": "#000"},
                {"x": 3, "y": 4, "rgb": [1, 2, 3], "radius": 0},
            ],
        },
        "h",
    )
    assert points == [HintPoint(1, 2, (0, 0, 0), 2), HintPoint(3, 4, (1, 2, 3), 0)]
    assert parse_points([{"x": 0, "y": 0, "hex": "#fff"}], "h")[0].radius == 0


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"radius": 1}, '"points" list'),
        ("x", "list of points"),
        ([{"x": 1, "hex": "#fff"}], 'needs "x" and "y"'),
        ([{"x": 1, "y": 1}], "one colour"),
        ([{"x": 1, "y": 1, "hex": "#fff", "rgb": [0, 0, 0]}], "one colour"),
        ([{"x": 1.5, "y": 1, "hex": "#fff"}], "x must be a whole number"),
        ([{"x": -1, "y": 1, "hex": "#fff"}], "x must be >= 0"),
        ([{"x": 1, "y": 1, "hex": "#fff", "radius": -2}], "radius must be >= 0"),
    ],
)
def test_malformed_points_are_refused_with_the_point_named(data: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_points(data, "hints.json")


def test_points_become_square_patches_clipped_to_the_photo_later_ones_on_top() -> None:
    hints = rasterize([HintPoint(0, 0, (255, 0, 0), 1), HintPoint(1, 1, (0, 0, 255), 0)], 5, 6)
    assert hints.count == 4  # the 3x3 square around (0, 0), clipped to 2x2
    assert hints.mask[0, :2, :2].all() and not hints.mask[0, 2:].any()
    assert hints.rgb[:, 0, 0].tolist() == [1.0, 0.0, 0.0]
    assert hints.rgb[:, 1, 1].tolist() == [0.0, 0.0, 1.0]


def test_a_json_file_round_trips_through_the_format_the_app_downloads(tmp_path: Path) -> None:
    points = [HintPoint(4, 2, (10, 20, 30), 1), HintPoint(0, 5, (255, 255, 255), 0)]
    path = tmp_path / "hints.json"
    path.write_text(points_json(points, height=6, width=8))
    expected = rasterize(points, 6, 8)
    read = read_hints(path, 6, 8)
    assert torch.equal(read.mask, expected.mask) and torch.equal(read.rgb, expected.rgb)


def test_json_errors_name_the_file_and_the_fix(tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text('[{"x": 1,')
    with pytest.raises(ValueError, match=r"broken.json is not valid JSON \(line 1"):
        read_hints(broken, 10, 10)
    outside = write_json(tmp_path / "outside.json", [{"x": 10, "y": 3, "hex": "#fff"}])
    with pytest.raises(ValueError, match=r"point 0 at x=10, y=3 is outside the 10 x 8 photo"):
        read_hints(outside, 8, 10)
    other_photo = write_json(tmp_path / "other.json", {"width": 20, "height": 8, "points": []})
    with pytest.raises(ValueError, match="made on a 20 x 8 photo, but this one is 10 x 8"):
        read_hints(other_photo, 8, 10)
    with pytest.raises(FileNotFoundError, match="missing.json is not a file"):
        read_hints(tmp_path / "missing.json", 8, 10)
    text = tmp_path / "hints.txt"
    text.write_text("")
    with pytest.raises(ValueError, match="neither .png"):
        read_hints(text, 8, 10)


def test_opaque_pixels_of_a_png_layer_are_hints_in_their_colour(tmp_path: Path) -> None:
    layer = np.zeros((7, 9, 4), np.uint8)
    layer[2, 3] = (0, 200, 0, 255)
    layer[4, 5] = (0, 0, 200, 128)  # half opaque: counts
    layer[5, 6] = (200, 0, 0, 127)  # an anti-aliased edge: does not
    Image.fromarray(layer, "RGBA").save(tmp_path / "hints.png")
    hints = read_hints(tmp_path / "hints.png", 7, 9)
    assert hints.count == 2 and hints.mask[0, 2, 3] and hints.mask[0, 4, 5]
    assert torch.allclose(hints.rgb[:, 2, 3], torch.tensor([0.0, 200 / 255, 0.0]))


def test_png_layer_errors_name_the_file_and_the_fix(tmp_path: Path) -> None:
    Image.new("RGBA", (9, 7)).save(tmp_path / "small.png")
    with pytest.raises(ValueError, match=r"small.png is 9 x 7 but the photo is 10 x 7: paint"):
        read_hints(tmp_path / "small.png", 7, 10)
    Image.new("RGB", (10, 7)).save(tmp_path / "opaque.png")
    with pytest.raises(ValueError, match="no transparency: save the hints as an RGBA PNG"):
        read_hints(tmp_path / "opaque.png", 7, 10)
    (tmp_path / "junk.png").write_bytes(b"not a png")
    with pytest.raises(ValueError, match="junk.png is not a readable image"):
        read_hints(tmp_path / "junk.png", 7, 10)


@pytest.mark.parametrize("number", ["Infinity", "-Infinity", "NaN", "1e400"])
@pytest.mark.parametrize("key", ["x", "y", "radius"])
def test_infinite_or_nan_numbers_name_the_file_and_the_point(
    tmp_path: Path, number: str, key: str
) -> None:
    point = {"x": "1", "y": "2", "radius": "0"} | {key: number}
    cells = ", ".join(f'"{k}": {v}' for k, v in point.items())
    path = tmp_path / "hints.json"
    path.write_text(f'[{{"x": 0, "y": 0, "hex": "#fff"}}, {{{cells}, "hex": "#f80"}}]')
    with pytest.raises(ValueError, match=rf"hints.json: point 1: {key} must be a whole number"):
        read_hints(path, 8, 10)
