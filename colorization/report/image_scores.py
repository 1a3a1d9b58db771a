"""Reading a run's ``evaluation_images.csv`` (each test image's scores, per protocol and
setting), strictly: the report pairs runs on these rows, so a damaged file is an error naming
what is wrong, never a different set of images."""

from __future__ import annotations

import csv
import math
from pathlib import Path

from colorization.trained import evaluation_files

_EXTRA, _MISSING = "\0extra", "\0missing"  # csv.DictReader's marks of a line's cells

# (protocol, setting) -> (image name, index, digest) -> metric -> value
ImageScores = dict[tuple[str, str], dict[tuple[str, str, str], dict[str, float]]]


def read_image_scores(path: Path) -> ImageScores:
    """evaluation_images.csv as nested dicts; a ValueError names what is wrong with it (a text
    cell, a cut or overlong line, an image listed twice for one protocol and setting): a
    damaged file is listed as damaged, never read as runs tested on different images."""
    if path.stat().st_size > evaluation_files.MAX_EVALUATION_BYTES:
        raise ValueError(f"larger than {evaluation_files.MAX_EVALUATION_BYTES // 2**20} MiB")
    scores: ImageScores = {}
    with open(path, newline="", encoding="utf-8", errors="replace") as handle:
        reader = csv.DictReader(handle, restkey=_EXTRA, restval=_MISSING)
        fixed = {"protocol", "setting", "image", "index", "digest"}
        if not fixed <= set(reader.fieldnames or ()):
            raise ValueError(
                f"its header lacks {', '.join(sorted(fixed - set(reader.fieldnames or ())))}"
            )
        for row in reader:
            number = reader.line_num
            if _EXTRA in row or _MISSING in row.values():
                raise ValueError(f"line {number} has another number of cells than the header")
            if not row["index"].isdigit():
                raise ValueError(f"line {number}, index: {row['index'][:20]!r} is no number")
            values = {}
            for metric in set(row) - fixed:
                text = row[metric]
                try:
                    values[metric] = float(text) if text else math.nan
                except (TypeError, ValueError):
                    raise ValueError(
                        f"line {number}, {metric}: {str(text)[:20]!r} is no number"
                    ) from None
            image = (row["image"], row["index"], row["digest"])
            setting = scores.setdefault((row["protocol"], row["setting"]), {})
            if image in setting:
                raise ValueError(
                    f"line {number} lists {row['image']} ({row['protocol']} "
                    f"{row['setting']}) a second time"
                )
            setting[image] = values
    return scores
