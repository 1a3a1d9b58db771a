"""The shape docs/architecture.md promises: who may import whom (modules and folders, no cycles),
nothing at import, a task named only by its own packages, module sizes, config layout."""

from __future__ import annotations

import ast
import inspect
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest
import pytorch_lightning as pl
from omegaconf import OmegaConf

from colorization.config import compose, config_dir
from colorization.tasks.registry import task_plugins

PACKAGE = Path(__file__).resolve().parents[2] / "colorization"
CONF = config_dir()
# The commands (python -m colorization.<verb>) and the packages that are one.
COMMANDS = ("train", "evaluate", "predict", "export", "prepare", "app", "report", "bench")


def modules(folder: Path) -> list[Path]:
    return sorted(folder.rglob("*.py"))


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(path): path for path in modules(PACKAGE)}


def resolved(name: str) -> str | None:
    """The project module an imported name lives in (``a.b.func`` -> ``a.b``)."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def project_imports(path: Path) -> set[str]:
    """The ``colorization.*`` modules ``path`` imports, at any depth of the file (a function's
    import counts), the root package left out: it holds the version and the config folder."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    project = {resolved(n) for n in found if n.split(".")[0] == "colorization"}
    return project - {None, "colorization", module_name(path)}


@cache
def import_graph() -> dict[str, frozenset[str]]:
    return {name: frozenset(project_imports(path)) for name, path in MODULES.items()}


def folder_of(module: str) -> str:
    """``colorization.tasks.colorization.task`` -> ``colorization.tasks``; top-level modules
    are their own folder."""
    return ".".join(module.split(".")[:2])


def cycles(graph: dict[str, frozenset[str]]) -> list[list[str]]:
    """The strongly connected components with more than one node (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for other in graph.get(node, ()):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def reachable(start: str) -> set[str]:
    graph, seen, todo = import_graph(), set(), [start]
    while todo:
        for other in graph[todo.pop()]:
            if other not in seen:
                seen.add(other)
                todo.append(other)
    return seen


def test_no_import_cycle_between_modules() -> None:
    assert cycles(import_graph()) == []


def test_no_import_cycle_between_folders() -> None:
    folders: dict[str, set[str]] = {}
    for module, imported in import_graph().items():
        edges = folders.setdefault(folder_of(module), set())
        edges.update(
            folder_of(other) for other in imported if folder_of(other) != folder_of(module)
        )
    assert cycles({k: frozenset(v) for k, v in folders.items()}) == []


def test_the_cycle_check_finds_a_cycle() -> None:
    assert cycles({"a": frozenset({"b"}), "b": frozenset({"a"}), "c": frozenset()}) == [["a", "b"]]


@pytest.mark.parametrize("path", modules(PACKAGE / "models"), ids=lambda p: p.name)
def test_the_network_folder_is_a_leaf(path: Path) -> None:
    """Models import only each other: the zoo and its command-line table included."""
    outside = {m for m in project_imports(path) if not m.startswith("colorization.models")}
    assert not outside, f"{path.name} imports {outside}"


def is_command(module: str) -> bool:
    return module.split(".")[1] in COMMANDS


@pytest.mark.parametrize("folder", ["models", "losses", "data", "training", "tasks", "inference"])
def test_the_core_reaches_no_command(folder: str) -> None:
    """Nothing the core imports, directly or through others, is a command."""
    for path in modules(PACKAGE / folder):
        commands = sorted(m for m in reachable(module_name(path)) if is_command(m))
        assert not commands, f"{path.relative_to(PACKAGE)} reaches {commands}"


@pytest.mark.parametrize(
    ("package", "forbidden"),
    [
        ("data", ("colorization.tasks", "colorization.training", "colorization.runs")),
        ("losses", ("colorization.tasks", "colorization.data", "colorization.training")),
        ("training", ("colorization.tasks", "colorization.build", "colorization.runs")),
        ("tasks", ("colorization.build", "colorization.runs", "colorization.config")),
        ("callbacks", ("colorization.build", "colorization.tasks", "colorization.runs")),
        # using a trained network needs no Lightning: no task, no training step, no build
        ("inference", ("colorization.tasks", "colorization.training", "colorization.build")),
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


def instantiated_groups(path: Path) -> set[str]:
    """The config groups ``path`` instantiates itself (``instantiate(cfg.data)`` -> data)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if (
            isinstance(node, ast.Call)
            and getattr(node.func, "id", None) == "instantiate"
            and node.args
            and isinstance(node.args[0], ast.Attribute)
        ):
            found.add(node.args[0].attr)
    return found


@pytest.mark.parametrize("path", modules(PACKAGE), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_data_modules_and_tasks_are_built_only_by_the_build_module(path: Path) -> None:
    if path.name != "build.py":
        assert not instantiated_groups(path) & {"data", "task"}, path


def test_run_paths_are_named_only_by_the_run_folder() -> None:
    """The layout of a run folder (``.hydra``, ``checkpoints``, ...) is spelt in one module."""
    layout = {".hydra", "checkpoints", "last.ckpt", "history.csv", "evaluation.json", "archive"}
    for path in modules(PACKAGE):
        if path.relative_to(PACKAGE).as_posix() == "runs/folder.py":
            continue
        strings = [what for _, what in names_of(path) if what.startswith("string ")]
        spelt = {s for s in strings if s[len("string ") :].strip("'\"") in layout}
        assert not spelt, f"{path.relative_to(PACKAGE)}: {spelt}"


def test_nothing_happens_at_import() -> None:
    """Importing every module registers no resolver, no Hydra plugin or config, and adds no
    warnings filter of its own: that is done where a process starts (the train command,
    ``compose``, a training's start)."""
    names = sorted(name for name in MODULES if not name.endswith("__main__"))
    script = f"""
import importlib, sys, warnings
from hydra.core.config_store import ConfigStore
from omegaconf import OmegaConf
added = []
def recording(function):
    def record(*args, **kwargs):
        added.append(sys._getframe(1).f_globals.get("__name__", ""))
        return function(*args, **kwargs)
    return record
warnings.filterwarnings = recording(warnings.filterwarnings)
warnings.simplefilter = recording(warnings.simplefilter)
for name in {names!r}:
    importlib.import_module(name)
ours = [module for module in added if module.split(".")[0] == "colorization"]
assert not ours, ours
assert not OmegaConf.has_resolver("slug") and not OmegaConf.has_resolver("run_dir")
assert "colorization_optuna.yaml" not in ConfigStore.instance().repo["hydra"].get("sweeper", ())
"""
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]


def task_words(name: str) -> set[str]:
    """The words of an identifier (``colorization_predictor`` -> colorization, predictor)."""
    words = []
    for part in name.split("_"):
        start = 0
        for i in range(1, len(part)):
            if part[i].isupper() and not part[i - 1].isupper():
                words.append(part[start:i])
                start = i
        words.append(part[start:])
    return {word.lower() for word in words if word}


def names_of(path: Path) -> list[tuple[int, str]]:
    """(line, what) for every import, identifier and string in ``path`` (docstrings left out:
    the help a command prints may mention tasks)."""
    tree = ast.parse(path.read_text())
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            found += [(node.lineno, f"import {node.module}.{a.name}") for a in node.names]
        elif isinstance(node, ast.Import):
            found += [(node.lineno, f"import {a.name}") for a in node.names]
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            if id(node) not in docstrings:
                found.append((node.lineno, f"string {node.value!r}"))
        elif isinstance(node, (ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef)):
            found.append((node.lineno, f"name {node.name}"))
        elif isinstance(node, ast.Name) and node.id != "colorization":
            found.append((node.lineno, f"name {node.id}"))
        elif isinstance(node, ast.Attribute):
            found.append((node.lineno, f"name {node.attr}"))
    return found


def names_a_task(what: str, task: str) -> bool:
    kind, _, value = what.partition(" ")
    if kind == "import":
        return any(value.startswith(f"colorization.{f}.{task}") for f in ("tasks", "data"))
    if kind == "string":  # "colorization" is also the project's name: not a task's mention
        return value.strip("'\"") == task != PACKAGE.name
    return task in task_words(value)


def own_packages(path: Path) -> set[str]:
    relative = path.relative_to(PACKAGE).parts
    return {relative[1]} if len(relative) > 2 and relative[0] in ("tasks", "data") else set()


@pytest.mark.parametrize("path", modules(PACKAGE), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_only_its_own_packages_name_a_task(path: Path) -> None:
    """A task is a plugin: outside its package of ``tasks/`` and of ``data/``, no module
    imports, names or branches on it; commands find it through the registry."""
    tasks = set(task_plugins()) - own_packages(path)
    named = [
        f"line {line}: {what}"
        for line, what in names_of(path)
        if any(names_a_task(what, task) for task in tasks)
    ]
    assert not named, named


def test_the_task_name_check_sees_a_branch() -> None:
    assert names_a_task("string 'segmentation'", "segmentation")
    assert names_a_task("import colorization.tasks.flare.task.FlareTask", "flare")
    assert names_a_task("name superres_predictor", "superres")
    assert names_a_task("name SuperresTask", "superres")
    assert not names_a_task("string 'colorization.spec'", "colorization")
    assert not names_a_task("string 'colorization'", "colorization")  # the project


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


def test_the_package_and_its_metadata_have_one_version() -> None:
    import re

    from colorization import __version__

    pyproject = (PACKAGE.parent / "pyproject.toml").read_text()
    assert re.search(r'^version = "([^"]+)"', pyproject, re.M).group(1) == __version__
