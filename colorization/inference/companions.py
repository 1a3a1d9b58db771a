"""Files that go with the images a command reads (a hint file, a colour original): for one input
image, the given file; for a folder of inputs, the file at the same relative path and name in
the given folder."""

from __future__ import annotations

import glob
from collections.abc import Sequence
from pathlib import Path

from colorization.data.images import shown


def relative(path: Path, inputs: Path) -> Path:
    """Where ``path`` sits under the inputs (just its name for a single input file)."""
    return Path(path.name) if inputs.is_file() else path.relative_to(inputs)


def matched_file(folder: Path, name: Path, suffixes: Sequence[str], option: str) -> Path | None:
    """The one file ``folder/<name without suffix><suffix>`` for any of ``suffixes``."""
    stem = folder / name.with_suffix("")
    found = (
        [p for p in stem.parent.glob(f"{glob.escape(stem.name)}.*") if p.suffix.lower() in suffixes]
        if stem.parent.is_dir()
        else []
    )
    if len(found) > 1:
        listed = ", ".join(sorted(p.name for p in found))
        raise ValueError(f"{option}: {listed} all match {shown(name)}; keep one of them.")
    return found[0] if found else None


def companion_file(
    option: str, given: Path, inputs: Path, image: Path, suffixes: Sequence[str]
) -> Path | None:
    """The file of ``option`` that goes with ``image``: ``given`` for one input file, else the
    file matching its relative path under the ``given`` folder (None if there is none)."""
    if inputs.is_file():
        if not given.is_file():
            raise FileNotFoundError(f"{option}: {shown(given)} is not a file.")
        return given
    if not given.is_dir():
        raise NotADirectoryError(
            f"{option}: the inputs are a folder, so give a folder of files matched by name "
            f"({shown(given)} is not one)."
        )
    return matched_file(given, relative(image, inputs), suffixes, option)
