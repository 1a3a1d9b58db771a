"""The shape docs/architecture.md promises: who may import whom, module sizes, config layout."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import pytest
import pytorch_lightning as pl
from omegaconf import OmegaConf

from colorization.config import compose, config_dir

PACKAGE = Path(__file__).resolve().parents[2] / "colorization"
CONF = config_dir()


def project_imports(path: Path) -> set[str]:
    """The ``colorization.*`` modules ``path`` imports (at any depth of the file)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {name for name in found if name.split(".")[0] == "colorization"}


def modules(folder: Path) -> list[Path]:
    return sorted(folder.rglob("*.py"))


@pytest.mark.parametrize("path", modules(PACKAGE / "models"), ids=lambda p: p.name)
def test_the_network_package_is_a_leaf(path: Path) -> None:
    """Models import only each other (the CLI, ``__main__``, may use the zoo)."""
    if path.name == "__main__.py":
        return
    outside = {m for m in project_imports(path) if not m.startswith("colorization.models")}
    assert not outside, f"{path.name} imports {outside}"


@pytest.mark.parametrize(
    ("package", "forbidden"),
    [
        ("data", ("colorization.tasks", "colorization.train", "colorization.build")),
        ("losses", ("colorization.tasks", "colorization.data", "colorization.train")),
        ("tasks", ("colorization.train", "colorization.build", "colorization.predict")),
        ("callbacks", ("colorization.train", "colorization.build")),
        # using a trained model needs no Lightning: no task, no training, no build
        ("inference", ("colorization.tasks", "colorization.train", "colorization.build")),
        ("app", ("colorization.tasks", "colorization.train", "colorization.build")),
    ],
)
def test_layers_do_not_reach_up(package: str, forbidden: tuple[str, ...]) -> None:
    for path in modules(PACKAGE / package):
        bad = {m for m in project_imports(path) if m.startswith(forbidden)}
        assert not bad, f"{path.relative_to(PACKAGE)} imports {bad}"


def test_commands_share_the_build_module_not_the_train_entry_point() -> None:
    for path in modules(PACKAGE):
        if path.name != "train.py":
            assert "colorization.train" not in project_imports(path), path


@pytest.mark.parametrize("path", modules(PACKAGE), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_module_over_320_lines(path: Path) -> None:
    assert len(path.read_text().splitlines()) <= 320


def test_data_keeps_shared_modules_on_top_and_one_package_per_task() -> None:
    data = PACKAGE / "data"
    assert len(list(data.glob("*.py"))) <= 9
    tasks = {path.stem for path in (CONF / "task").glob("*.yaml")}
    assert tasks <= {path.parent.name for path in data.glob("*/__init__.py")}


def test_no_formatter_escapes() -> None:
    tests = Path(__file__).resolve().parents[1]
    for path in [*modules(PACKAGE), *modules(tests)]:
        text = path.read_text()
        assert "fmt: " + "skip" not in text and "fmt: " + "off" not in text, path


def test_trainer_configs_hold_only_trainer_arguments() -> None:
    accepted = set(inspect.signature(pl.Trainer.__init__).parameters)
    for path in (CONF / "trainer").glob("*.yaml"):
        keys = set(OmegaConf.load(path)) - {"_target_", "defaults"}
        assert keys <= accepted, f"{path.name}: {keys - accepted}"


def test_models_are_partials_the_task_completes() -> None:
    for path in (CONF / "model").glob("*.yaml"):
        cfg = OmegaConf.load(path)
        if "_target_" in cfg:  # aliases hold only a defaults list
            assert cfg._partial_ is True, path.name
            assert not {"in_channels", "out_channels"} & set(cfg), path.name


def test_the_task_files_are_written_the_same_way() -> None:
    for path in (CONF / "task").glob("*.yaml"):
        assert path.read_text().startswith("# @package _global_"), path.name
        task = OmegaConf.load(path).task
        assert {"_target_", "in_channels", "monitor", "monitor_mode"} <= set(task), path.name


def test_one_callback_writes_last_ckpt(tmp_path: Path) -> None:
    callbacks = compose([], output_dir=tmp_path).callbacks
    writers = [
        name
        for name, c in callbacks.items()
        if "dirpath" in c and c.get("filename") in (None, "last")
    ]
    assert writers == ["last_checkpoint"]
