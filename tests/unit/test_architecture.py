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


ROOT = PACKAGE.parent
# The project's import roots: the package and the Hydra plugin Hydra finds by its namespace.
PROJECT = ("colorization", "hydra_plugins")
# Calls that import the module their first argument names (a string, or an f-string of
# ``__name__``): importlib, and the lazy imports of the task plugins.
DYNAMIC_IMPORTS = {"import_module", "lazy_function", "LazySequence"}


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {
    module_name(path): path for path in [*modules(PACKAGE), *modules(ROOT / "hydra_plugins")]
}


def resolved(name: str) -> str | None:
    """The project module an imported name lives in (``a.b.func`` -> ``a.b``)."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def named_module(node: ast.expr, module: str) -> str | None:
    """The module a dynamic import names: a string, or an f-string of ``__name__`` and text
    (``f"{__name__}.protocols"``); None for anything computed otherwise."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        parts = []
        for part in node.values:
            if isinstance(part, ast.Constant):
                parts.append(str(part.value))
            elif isinstance(part.value, ast.Name) and part.value.id == "__name__":
                parts.append(module)
            else:
                return None
        return "".join(parts)
    return None


def dynamic_imports(tree: ast.AST, module: str) -> set[str]:
    """Modules imported by name at run time: ``importlib.import_module("...")``,
    ``lazy_function("...", name)``, ``LazySequence("...", name)`` and the modules of
    ``lazy_attributes(__name__, {name: "..."})``."""
    found = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        callee = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
        if callee in DYNAMIC_IMPORTS:
            found.add(named_module(node.args[0], module))
        elif callee == "lazy_attributes" and isinstance(node.args[-1], ast.Dict):
            found.update(named_module(value, module) for value in node.args[-1].values)
    return {name for name in found if name}


def project_imports(path: Path) -> set[str]:
    """The project's modules ``path`` imports, at any depth of the file (a function's import
    counts) and by name at run time (:func:`dynamic_imports`), the root package left out: it
    holds the version and the config folder."""
    tree = ast.parse(path.read_text())
    found = dynamic_imports(tree, module_name(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    project = {resolved(n) for n in found if n.split(".")[0] in PROJECT}
    return project - {None, *PROJECT, module_name(path)}


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


def test_the_graph_sees_imports_by_name_and_the_hydra_plugin() -> None:
    graph = import_graph()
    assert "colorization.tasks.denoising.protocols" in graph["colorization.tasks.denoising"]
    assert "colorization.tasks.flare.task" in graph["colorization.tasks.flare"]
    assert "hydra_plugins.colorization_optuna.sweeper" in graph["colorization.train"]
    assert "colorization.search.study" in graph["hydra_plugins.colorization_optuna.sweeper"]
    tree = ast.parse("import importlib\nimportlib.import_module('colorization.build')")
    assert dynamic_imports(tree, "x") == {"colorization.build"}


def folder_graph() -> dict[str, frozenset[str]]:
    folders: dict[str, set[str]] = {}
    for module, imported in import_graph().items():
        edges = folders.setdefault(folder_of(module), set())
        edges.update(
            folder_of(other) for other in imported if folder_of(other) != folder_of(module)
        )
    return {folder: frozenset(edges) for folder, edges in folders.items()}


def floors(graph: dict[str, frozenset[str]]) -> dict[str, int]:
    """Each folder's floor: 1 + the highest floor among those it imports (1: imports none)."""
    found: dict[str, int] = {}

    def floor(folder: str) -> int:
        if folder not in found:
            found[folder] = 1 + max((floor(other) for other in graph[folder]), default=0)
        return found[folder]

    for folder in graph:
        floor(folder)
    return found


def test_at_most_seven_floors_and_nothing_stands_on_a_command() -> None:
    """The folders stack in at most 7 floors (docs/architecture.md draws them), and no folder
    imports a command: the commands are the roof."""
    graph = folder_graph()
    assert max(floors(graph).values()) <= 7, floors(graph)
    for folder, imported in graph.items():
        commands = sorted(other for other in imported if is_command(other))
        assert not commands or is_command(folder), f"{folder} imports {commands}"


def test_the_floor_count_sees_a_tall_stack() -> None:
    stack = {f"f{i}": frozenset({f"f{i - 1}"} if i else ()) for i in range(8)}
    assert max(floors(stack).values()) == 8


def test_no_import_cycle_between_folders() -> None:
    assert cycles(folder_graph()) == []


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
    assert "hydra_plugins.colorization_optuna.sweeper" in names
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
assert "sweeper" not in ConfigStore.instance().repo["hydra"]
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


@cache
def lightning_private_names() -> frozenset[str]:
    """Every private name Lightning's packages define (functions, classes, attributes they
    assign), read from their source."""
    import importlib.util

    names = set()
    for package in ("pytorch_lightning", "lightning_fabric"):
        root = Path(importlib.util.find_spec(package).origin).parent
        for path in root.rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                    names.add(node.name)
                elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
                    names.add(node.attr)
                elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                    names.add(node.id)
    return frozenset(n for n in names if n.startswith("_") and not n.startswith("__"))


@cache
def project_defined_names() -> frozenset[str]:
    """The functions, methods and classes the project defines itself (``_step`` is ours)."""
    return frozenset(
        node.name
        for path in MODULES.values()
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
    )


def lightning_internals_used(path: Path) -> list[str]:
    """Lightning's private modules and names that ``path`` imports, and Lightning's private
    attributes it reads or writes (``logger._run_id``)."""
    lightning = ("pytorch_lightning", "lightning_fabric", "lightning")
    private, ours = lightning_private_names(), project_defined_names()
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(lightning):
            names = [a.name for a in node.names]
            if "._" in f".{node.module}" or any(n.startswith("_") for n in names):
                found.append(f"line {node.lineno}: from {node.module} import {names}")
        elif isinstance(node, ast.Attribute) and node.attr in private and node.attr not in ours:
            found.append(f"line {node.lineno}: .{node.attr}")
    return found


@pytest.mark.parametrize("path", MODULES.values(), ids=lambda p: str(p.relative_to(ROOT)))
def test_lightning_internals_are_used_only_in_lightning_compat(path: Path) -> None:
    if path.name != "lightning_compat.py":
        assert not lightning_internals_used(path)


def test_the_lightning_internals_check_sees_them(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text(
        "from lightning_fabric.utilities.logger import _flatten_dict\n"
        "from pytorch_lightning.utilities._pytree import x\n"
        "def f(logger):\n    logger._run_id = 1\n    return logger._mlflow_client\n"
    )
    assert len(lightning_internals_used(module)) == 4
    assert lightning_internals_used(PACKAGE / "lightning_compat.py")


def defines(module: str, name: str) -> bool:
    """Whether the project module ``module`` defines or imports ``name``."""
    import re

    text = MODULES[module].read_text()
    pattern = "|".join(
        (rf"^\s*(def|class)\s+{name}\b", rf"^{name}\s*[:=]", rf"^\s*self\.{name}\s*[:=]")
    )
    pattern += rf"|import.*\b{name}\b"
    lazy = f'"{name}":'  # a package's lazy attribute (colorization.lazy.lazy_attributes)
    return re.search(pattern, text, re.M) is not None or f"    {name}:" in text or lazy in text


def stale_references(text: str, own: str, is_package: bool) -> list[str]:
    """Files (``tests/unit/x.py``, ``docs/y.md``) and modules or their names (``:mod:`.spec```,
    ``:class:`colorization.a.B```) that the text of module ``own`` names but that do not
    exist."""
    import re

    found = []
    for match in re.finditer(
        r"\b((?:tests|colorization|docs|conf)/[\w/.-]+\.(?:py|md|yaml))", text
    ):
        if not (ROOT / match.group(1)).exists():
            found.append(match.group(1))
    package = own if is_package else own.rpartition(".")[0]
    for match in re.finditer(r":(?:mod|class|func|data|meth|attr):`~?([\w.]+)`", text):
        name = match.group(1)
        name = package + name if name.startswith(".") else name
        if not name.startswith("colorization."):
            continue
        module = resolved(name)
        rest = name[len(module) + 1 :].split(".")[0] if module and module != name else ""
        if module is None or (rest and not defines(module, rest)):
            found.append(match.group(1))
    return found


@pytest.mark.parametrize("path", MODULES.values(), ids=lambda p: str(p.relative_to(ROOT)))
def test_docstrings_name_files_and_modules_that_exist(path: Path) -> None:
    assert not stale_references(path.read_text(), module_name(path), path.name == "__init__.py")


def test_the_stale_reference_check_sees_one() -> None:
    text = '"""See :mod:`.colorize`, :class:`.spec.Gone`, :mod:`.spec` and tests/unit/gone.py."""'
    stale = stale_references(text, "colorization.inference", is_package=True)
    assert stale == ["tests/unit/gone.py", ".colorize", ".spec.Gone"]
