"""A built wheel carries every config and the sweeper plugin, and finds them after install."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

from colorization.config import config_dir

REPO = Path(__file__).resolve().parents[2]


def test_wheel_carries_every_config_and_finds_them(tmp_path: Path) -> None:
    build = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path / "dist"),
            str(REPO),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert build.returncode == 0, build.stderr[-3000:]
    wheel = next((tmp_path / "dist").glob("colorization-*.whl"))
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        packed = {n for n in names if n.startswith("colorization/conf/")}
        archive.extractall(tmp_path / "site")
    modules = {
        p.relative_to(REPO).as_posix()
        for package in ("colorization", "hydra_plugins")
        for p in (REPO / package).rglob("*.py")
    }
    assert modules <= names, f"not in the wheel: {sorted(modules - names)}"
    expected = {
        f"colorization/conf/{p.relative_to(config_dir()).as_posix()}"
        for p in config_dir().rglob("*.yaml")
    }
    assert packed == expected, "add new conf/ folders to [tool.setuptools] packages"

    probe = (
        "from colorization.config import config_dir, compose; "
        "print(config_dir()); print(compose(['model=unet']).model._target_)"
    )
    env = {**os.environ, "PYTHONPATH": str(tmp_path / "site")}
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr[-3000:]
    found, target = result.stdout.split()
    assert Path(found) == tmp_path / "site" / "colorization" / "conf"
    assert target == "colorization.models.unet.UNet"

    # Hydra finds the Optuna sweeper in the installed hydra_plugins namespace by itself
    scan = (
        "from hydra.core.plugins import Plugins; from hydra.plugins.sweeper import Sweeper; "
        "print(' '.join(p.__name__ for p in Plugins.instance().discover(Sweeper)))"
    )
    result = subprocess.run(
        [sys.executable, "-c", scan], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert "OptunaStudySweeper" in result.stdout.split(), result.stderr[-3000:]
