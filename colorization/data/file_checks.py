"""Check image files before training: fast, from headers and file tails, never a full decode.

Every problem has a defined outcome, so nothing fails mid-epoch:

| problem                                  | outcome                       |
|------------------------------------------|-------------------------------|
| not an image / unreadable header         | skipped                       |
| truncated file (JPEG/PNG/WebP/BMP)       | skipped                       |
| grayscale file in a colour data set      | skipped (no colour to learn)  |
| smaller than the crop (``image_size``)   | skipped                       |
| more pixels than ``max_pixels``          | skipped                       |
| RGBA / palette with transparency         | converted: alpha dropped      |
| 16 bits per channel                      | converted: to 8 bits          |

Skipped and converted files are counted and reported in one summary line. With
``bad_files="error"`` any skipped file stops the run instead, naming the files and the fix.
"""

from __future__ import annotations

import logging
import os
import struct
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from PIL import Image

from colorization.data.images import DEFAULT_MAX_PIXELS, shown, too_large

log = logging.getLogger(__name__)
BadFilePolicy = Literal["skip", "error"]
_GRAYSCALE_MODES = {"1", "L", "LA", "I", "I;16", "I;16B", "I;16L", "I;16N", "F"}


@dataclass
class FileCheck:
    """What the check found for one file: ``problem`` is empty for a clean file."""

    path: Path
    problem: str = ""
    outcome: Literal["kept", "converted", "skipped"] = "kept"


@dataclass
class ScanReport:
    kept: list[Path] = field(default_factory=list)
    checks: list[FileCheck] = field(default_factory=list)

    def by_outcome(self, outcome: str) -> list[FileCheck]:
        return [c for c in self.checks if c.outcome == outcome]

    def summary(self, root: str | Path) -> str:
        parts = []
        for outcome in ("skipped", "converted"):
            found = self.by_outcome(outcome)
            if found:
                kinds = Counter(c.problem.split(":")[0] for c in found)
                listed = ", ".join(f"{n} {kind}" for kind, n in kinds.items())
                examples = ", ".join(shown(c.path.name) for c in found[:3])
                parts.append(f"{len(found)} {outcome} ({listed}; e.g. {examples})")
        details = "; ".join(parts) if parts else "all usable"
        return (
            f"Checked {len(self.checks)} images under {shown(root)}: {len(self.kept)} used, "
            f"{details}."
        )


def _truncated(header: bytes, tail: bytes, size: int) -> bool:
    """True where the file is shorter than its format says (cheap checks on head and tail)."""
    if header.startswith(b"\xff\xd8"):  # JPEG: ends with the EOI marker (maybe padded)
        return b"\xff\xd9" not in tail
    if header.startswith(b"\x89PNG"):
        return b"IEND" not in tail
    if header[:4] == b"RIFF" and header[8:12] == b"WEBP":
        return struct.unpack("<I", header[4:8])[0] + 8 > size
    if header[:2] == b"BM":
        return struct.unpack("<I", header[2:6])[0] > size
    return False


def _png_bit_depth(header: bytes) -> int | None:
    if header.startswith(b"\x89PNG") and len(header) > 24:
        return header[24]
    return None


def check_file(
    path: Path, min_size: int, max_pixels: int = DEFAULT_MAX_PIXELS, grayscale: bool = False
) -> FileCheck:
    """Check one file from its header and tail (no pixel decoding); ``grayscale``: a grey file
    is usable (prediction colorizes grey photos; training needs colour)."""
    try:
        with path.open("rb") as handle:  # one open per file: header, PIL header parse, tail
            size = os.fstat(handle.fileno()).st_size
            header = handle.read(32)
            handle.seek(max(0, size - 1024))
            tail = handle.read()
            handle.seek(0)
            with Image.open(handle) as image:
                mode, (width, height) = image.mode, image.size
                transparent = mode == "P" and "transparency" in image.info
    except Image.DecompressionBombError:
        return FileCheck(path, "too large: beyond Pillow's decompression-bomb limit", "skipped")
    except Exception as error:  # PIL raises many types for non-images
        return FileCheck(path, f"unreadable: {type(error).__name__}", "skipped")
    if _truncated(header, tail, size):
        return FileCheck(path, "truncated: the file ends early", "skipped")
    if mode in _GRAYSCALE_MODES and not grayscale:
        return FileCheck(path, f"grayscale: mode {mode}", "skipped")
    if problem := too_large(width, height, max_pixels):
        return FileCheck(path, problem, "skipped")
    if min(width, height) < min_size:
        return FileCheck(path, f"too small: {width}x{height} < {min_size}", "skipped")
    if mode in ("RGBA", "PA") or transparent:
        return FileCheck(path, f"alpha: {mode} -> RGB", "converted")
    if _png_bit_depth(header) == 16:
        return FileCheck(path, "16-bit: -> 8-bit", "converted")
    return FileCheck(path)


def scan_images(
    paths: list[Path],
    min_size: int,
    root: str | Path,
    policy: BadFilePolicy = "skip",
    max_pixels: int = DEFAULT_MAX_PIXELS,
) -> ScanReport:
    """Check every file; log one summary line; raise on ``policy="error"`` or if none is left."""
    if policy not in ("skip", "error"):
        raise ValueError(f"data.bad_files must be skip or error, got {policy!r}.")
    report = ScanReport()
    for path in paths:
        check = check_file(path, min_size, max_pixels)
        report.checks.append(check)
        if check.outcome != "skipped":
            report.kept.append(path)
    skipped = report.by_outcome("skipped")
    if skipped and policy == "error":
        listed = "\n".join(f"  {shown(c.path)}: {c.problem}" for c in skipped[:20])
        raise ValueError(
            f"{len(skipped)} unusable images under {root}:\n{listed}\n"
            "Fix or remove these files, or set data.bad_files=skip to leave them out."
        )
    if not report.kept:
        raise ValueError(
            f"No usable images under {root}: {report.summary(root)} "
            "Colour photos at least data.image_size pixels on each side are needed."
        )
    message = report.summary(root)
    if skipped or report.by_outcome("converted"):
        log.warning(message)
    else:
        log.info(message)
    return report
