"""Colour hints a person gives, read from the two file formats ``predict --hints`` accepts.

- **PNG**: an RGBA image of the photo's size; every pixel with alpha >= 128 is a hint in its own
  colour (paint dots or strokes on a transparent layer in any editor; anti-aliased edges below
  half opacity are ignored).
- **JSON**: points ``{"x": 10, "y": 20, "rgb": [255, 0, 0]}`` (or ``"hex": "#ff0000"``), either
  as a list or as ``{"radius": 2, "points": [...]}``; a point's own ``"radius"`` wins. The
  object may name the ``"width"`` and ``"height"`` of the photo the points were placed on
  (the app writes them); a photo of another size is then refused. A point
  of radius r hints the square of side 2r + 1 around it (Zhang et al. 2017 use square patches),
  clipped to the photo; later points overwrite earlier ones. x and y are pixel columns and rows
  of the photo as it is shown (EXIF orientation applied), from the top-left corner. The app
  downloads its hints in this format.

Only the hint's chromaticity (Lab a and b) reaches the network; its lightness is the photo's.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image

from colorization.data.images import shown

OPAQUE = 128  # alpha from which a pixel of a hint PNG counts as a hint
HINT_SUFFIXES = (".png", ".json")
_HEX = re.compile(r"#?([0-9a-fA-F]{6}|[0-9a-fA-F]{3})")


@dataclass(frozen=True)
class HintPoint:
    x: int
    y: int
    rgb: tuple[int, int, int]
    radius: int = 0

    @property
    def hex(self) -> str:
        return "#" + "".join(f"{c:02x}" for c in self.rgb)

    def as_json(self) -> dict[str, Any]:
        return {"x": self.x, "y": self.y, "hex": self.hex, "radius": self.radius}


@dataclass
class Hints:
    """Hints at the photo's full resolution: ``rgb`` (3, H, W) float in [0, 1], ``mask`` (1, H, W)
    bool, True at hinted pixels."""

    rgb: torch.Tensor
    mask: torch.Tensor

    @classmethod
    def none(cls, height: int, width: int) -> Hints:
        return cls(torch.zeros(3, height, width), torch.zeros(1, height, width, dtype=torch.bool))

    @property
    def count(self) -> int:
        return int(self.mask.sum())


def parse_color(value: Any, where: str) -> tuple[int, int, int]:
    """``[r, g, b]`` (integers 0-255) or ``"#rrggbb"`` / ``"#rgb"`` as an RGB triple."""
    if isinstance(value, str):
        match = _HEX.fullmatch(value.strip())
        if match is None:
            raise ValueError(f"{where}: {value!r} is not a colour; write #rrggbb, e.g. #ff8800.")
        digits = match.group(1)
        if len(digits) == 3:
            digits = "".join(d * 2 for d in digits)
        return tuple(int(digits[i : i + 2], 16) for i in (0, 2, 4))  # type: ignore[return-value]
    if (
        isinstance(value, list | tuple)
        and len(value) == 3
        and all(isinstance(c, int) and not isinstance(c, bool) and 0 <= c <= 255 for c in value)
    ):
        return int(value[0]), int(value[1]), int(value[2])
    raise ValueError(
        f"{where}: {value!r} is not a colour; give three integers 0-255, e.g. [255, 136, 0]."
    )


def _integer(value: Any, name: str, where: str, minimum: int = 0) -> int:
    """``value`` as a whole number >= ``minimum``; anything else (``NaN`` and ``Infinity``,
    which JSON readers accept, included) is a ValueError naming ``where``."""
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or (isinstance(value, float) and not math.isfinite(value))
        or value != int(value)
    ):
        raise ValueError(f"{where}: {name} must be a whole number, got {value!r}.")
    if value < minimum:
        raise ValueError(f"{where}: {name} must be >= {minimum}, got {value!r}.")
    return int(value)


def parse_points(data: Any, source: str) -> list[HintPoint]:
    """Points from parsed JSON (a list, or an object with ``points`` and a default ``radius``)."""
    radius = 0
    if isinstance(data, dict):
        if "points" not in data:
            raise ValueError(f'{source}: an object needs a "points" list, e.g. {{"points": []}}.')
        radius = _integer(data.get("radius", 0), "radius", source)
        data = data["points"]
    if not isinstance(data, list):
        raise ValueError(
            f'{source}: give a list of points like [{{"x": 1, "y": 2, "hex": "#f80"}}].'
        )
    points = []
    for index, item in enumerate(data):
        where = f"{source}: point {index}"
        if not isinstance(item, dict) or "x" not in item or "y" not in item:
            raise ValueError(f'{where} needs "x" and "y" (pixel column and row), got {item!r}.')
        colors = [key for key in ("rgb", "hex") if key in item]
        if len(colors) != 1:
            raise ValueError(f'{where} needs one colour, "rgb": [r, g, b] or "hex": "#rrggbb".')
        points.append(
            HintPoint(
                x=_integer(item["x"], "x", where),
                y=_integer(item["y"], "y", where),
                rgb=parse_color(item[colors[0]], where),
                radius=_integer(item.get("radius", radius), "radius", where),
            )
        )
    return points


def check_inside(points: list[HintPoint], height: int, width: int, source: str) -> None:
    for index, point in enumerate(points):
        if not (0 <= point.x < width and 0 <= point.y < height):
            raise ValueError(
                f"{source}: point {index} at x={point.x}, y={point.y} is outside the "
                f"{width} x {height} photo (x in 0..{width - 1}, y in 0..{height - 1})."
            )


def rasterize(points: list[HintPoint], height: int, width: int) -> Hints:
    """Square patches of each point's colour (later points on top)."""
    hints = Hints.none(height, width)
    for point in points:
        top, left = max(point.y - point.radius, 0), max(point.x - point.radius, 0)
        bottom, right = point.y + point.radius + 1, point.x + point.radius + 1
        color = torch.tensor(point.rgb, dtype=torch.float32)[:, None, None] / 255
        hints.rgb[:, top:bottom, left:right] = color
        hints.mask[:, top:bottom, left:right] = True
    return hints


def read_points(path: Path, height: int, width: int) -> list[HintPoint]:
    """The points of a JSON hint file, checked against a photo of ``height`` x ``width``."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise ValueError(
            f"{shown(path)} is not valid JSON (line {error.lineno}, column {error.colno}: "
            f"{error.msg})."
        ) from None
    points = parse_points(data, shown(path))
    if isinstance(data, dict) and "width" in data and "height" in data:
        placed_on = (data["width"], data["height"])
        if placed_on != (width, height):
            raise ValueError(
                f"{shown(path)} was made on a {placed_on[0]} x {placed_on[1]} photo, but this "
                f"one is {width} x {height}: give the hints of this photo."
            )
    check_inside(points, height, width, shown(path))
    return points


def read_hint_image(path: Path, height: int, width: int) -> Hints:
    try:
        with Image.open(path) as image:
            image.load()
            if "A" not in image.getbands() and "transparency" not in image.info:
                raise ValueError(
                    f"{shown(path)} has no transparency: save the hints as an RGBA PNG whose "
                    "background is transparent (its opaque pixels are the hints)."
                )
            rgba = np.asarray(image.convert("RGBA"))
    except OSError as error:
        raise ValueError(f"{shown(path)} is not a readable image ({error}).") from None
    if rgba.shape[:2] != (height, width):
        raise ValueError(
            f"{shown(path)} is {rgba.shape[1]} x {rgba.shape[0]} but the photo is {width} x "
            f"{height}: paint the hints on a layer of the photo's size."
        )
    pixels = torch.from_numpy(rgba.copy()).permute(2, 0, 1)
    return Hints(rgb=pixels[:3].float() / 255, mask=pixels[3:] >= OPAQUE)


def read_hints(path: str | Path, height: int, width: int) -> Hints:
    """The hints of a PNG or JSON file for a photo of ``height`` x ``width``."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"--hints: {shown(path)} is not a file.")
    suffix = path.suffix.lower()
    if suffix == ".png":
        return read_hint_image(path, height, width)
    if suffix == ".json":
        return rasterize(read_points(path, height, width), height, width)
    raise ValueError(
        f"--hints: {shown(path)} is neither .png (an RGBA hint layer) nor .json (hint points)."
    )


def points_json(points: list[HintPoint], height: int, width: int) -> str:
    """The JSON file ``read_hints`` reads back, for a photo of ``height`` x ``width``."""
    data = {"width": width, "height": height, "points": [p.as_json() for p in points]}
    return json.dumps(data, indent=1) + "\n"
