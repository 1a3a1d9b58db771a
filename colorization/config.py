"""Composing, checking and showing the Hydra configs (found by :func:`colorization.config_dir`)."""

from __future__ import annotations

import difflib
import inspect
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from hydra.core.hydra_config import HydraConfig
from hydra.experimental.callback import Callback
from hydra.utils import get_object
from omegaconf import DictConfig, OmegaConf

from colorization import CONFIG_NAME, config_dir
from colorization.runs.folder import register_run_resolvers


def main_choice(group: str) -> str | None:
    """The option of ``group`` that ``train.yaml``'s defaults list selects."""
    for entry in OmegaConf.load(config_dir() / f"{CONFIG_NAME}.yaml").get("defaults", []):
        if OmegaConf.is_dict(entry) and group in entry:
            return str(entry[group])
    return None


def task_choice(task: str, group: str) -> str | None:
    """The option of ``group`` a run of ``task=<task>`` gets: the one its YAML selects (its
    ``override /<group>: ...`` default, e.g. ``task=superres`` -> ``model`` ``rdn``), else the
    main config's."""
    defaults = OmegaConf.load(config_dir() / "task" / f"{task}.yaml").get("defaults", [])
    key = f"override /{group}"
    for entry in defaults:
        if OmegaConf.is_dict(entry) and key in entry:
            return str(entry[key])
    return main_choice(group)


def register_resolvers() -> None:
    """The OmegaConf resolvers the configs use. Called where a config is composed or read (the
    train command, :func:`compose`, opening a trained run), never as a side effect of an import.
    The Optuna sweeper's settings are a config of their own
    (``conf/hydra/sweeper/colorization_optuna.yaml``); its class is registered by the train
    command, which sweeps."""
    register_run_resolvers()


def _positive(value: Any) -> bool:
    return value > 0


# (key, check, what a valid value is): checked before anything is built or trained, for the
# values that nothing of this project checks where it uses them (torch, Lightning and Hydra
# check them late or in their own words). Every other value is checked once, where it is used
# (the DataModule, the task, the hint sampler, ...), which happens before training starts.
_CHECKS: tuple[tuple[str, Callable[[Any], bool], str], ...] = (
    ("optimizer.lr", _positive, "a positive number, e.g. optimizer.lr=1e-3"),
    ("optimizer.weight_decay", lambda v: v >= 0, "0 or positive"),
    (
        "data.num_workers",
        lambda v: v == "auto" or (isinstance(v, int) and v >= 0),
        "auto or an integer >= 0",
    ),
    ("trainer.max_epochs", lambda v: v == -1 or v >= 1, ">= 1 (or -1 for no limit)"),
    ("optimization.compile", lambda v: isinstance(v, bool), "true or false"),
)


def known_top_level_keys() -> set[str]:
    """The config groups (folders of conf/) and the keys of train.yaml."""
    groups = {path.name for path in config_dir().iterdir() if path.is_dir()}
    main = set(OmegaConf.load(config_dir() / f"{CONFIG_NAME}.yaml")) - {"defaults"}
    return (groups | main) - {"hydra"}


def check_top_level_keys(cfg: DictConfig) -> None:
    """A ``+name=...`` override whose name is no group or key (``+modle=unet``) would be
    accepted by Hydra and silently ignored: stop instead, naming the closest group."""
    known = known_top_level_keys()
    for key in cfg:
        if key in known:
            continue
        close = difflib.get_close_matches(str(key), sorted(known), n=1)
        hint = f"Did you mean {close[0]}={cfg[key]}? " if close else ""
        raise ValueError(
            f"Invalid config: {key} is no config group or key, so +{key}=... would be ignored. "
            f"{hint}Groups and keys: {', '.join(sorted(known))}."
        )


# Strategies the training step is written for: one process, or data-parallel processes whose
# gradients it averages itself (colorization/training/distributed.py).
SUPPORTED_STRATEGIES = ("auto", "single_device", "ddp", "ddp_spawn", "ddp_fork", "ddp_notebook")


def check_strategy(cfg: DictConfig) -> None:
    """Stop early for multi-process setups the training step does not support."""
    strategy = OmegaConf.select(cfg, "trainer.strategy", default="auto")
    if isinstance(strategy, str):
        name = strategy.split("_find_unused_parameters")[0]
        if name not in SUPPORTED_STRATEGIES:
            raise ValueError(
                f"Invalid config: trainer.strategy={strategy} is not supported (sharded and "
                "model-parallel strategies would need another training step). Use "
                f"{', '.join(SUPPORTED_STRATEGIES)}; see docs/scale-out.md."
            )
    oom_recovery = OmegaConf.select(cfg, "safety.oom_recovery", default=True)
    if OmegaConf.select(cfg, "trainer.sync_batchnorm", default=False) and oom_recovery:
        raise ValueError(
            "Invalid config: trainer.sync_batchnorm=true with safety.oom_recovery=true: "
            "synchronised BatchNorm communicates in every forward pass, so a rank that re-splits "
            "a batch after running out of memory would hang the others. Set "
            "safety.oom_recovery=false to use it."
        )


# Trainer arguments that manual optimisation refuses: the training step does these itself.
STEP_OPTIONS = ("accumulate_grad_batches", "gradient_clip_val", "gradient_clip_algorithm")


def check_trainer_options(cfg: DictConfig) -> None:
    """``trainer.gradient_clip_val`` and its kin belong to ``optimization``: say so."""
    for name in STEP_OPTIONS:
        value = OmegaConf.select(cfg, f"trainer.{name}", default=None)
        if value is not None:
            raise ValueError(
                f"Invalid config: trainer.{name}={value}: the training step does this itself "
                f"(colorization/training/optimization.py); set optimization.{name}={value}."
            )


# Keys of a config node that Hydra reads itself, not the target.
HYDRA_KEYS = {"_target_", "_partial_", "_recursive_", "_convert_", "_args_"}


def accepted_arguments(target: str) -> set[str] | None:
    """The keyword arguments ``target`` (a class or function) accepts, following ``**kwargs``
    that a class passes on to its bases; None when it accepts any keyword (or cannot be found:
    building it reports that)."""
    try:
        found = get_object(target)
    except Exception:  # not importable here: building it will say so, naming the target
        return None
    owners = (
        [k for k in inspect.getmro(found) if "__init__" in vars(k)]
        if inspect.isclass(found)
        else [found]
    )
    names: set[str] = set()
    for owner in owners:
        function = owner.__init__ if inspect.isclass(owner) else owner
        if function is object.__init__:
            return None
        parameters = inspect.signature(function).parameters.values()
        names |= {p.name for p in parameters if p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD)}
        if not any(p.kind is p.VAR_KEYWORD for p in parameters):
            return names - {"self"}
    return None


def check_arguments(node: Any, prefix: str = "") -> None:
    """Every key of a config node with a ``_target_`` is an argument of that target: a typo
    such as ``+optimizer.lrr=5`` stops here, before anything is built, with the closest name."""
    if not OmegaConf.is_dict(node):
        return
    target = node.get("_target_") if "_target_" in node else None
    accepted = accepted_arguments(str(target)) if target else None
    for key in node:
        if accepted is not None and key not in HYDRA_KEYS and key not in accepted:
            close = difflib.get_close_matches(str(key), sorted(accepted), n=1)
            hint = f" Did you mean {prefix}{close[0]}?" if close else ""
            raise ValueError(f"Invalid config: {prefix}{key} is not an argument of {target}.{hint}")
        check_arguments(node._get_node(key), f"{prefix}{key}.")


def validate_config(cfg: DictConfig) -> None:
    """Fail at start, naming the key, for values that would only break later."""
    check_top_level_keys(cfg)
    check_strategy(cfg)
    check_trainer_options(cfg)
    check_arguments(cfg)
    for key, check, expected in _CHECKS:
        value = OmegaConf.select(cfg, key, default=None)
        if value is None:
            continue
        try:
            valid = check(value)
        except TypeError:
            valid = False
        if not valid:
            raise ValueError(f"Invalid config: {key}={value} (expected {expected}).")


def compose(overrides: Sequence[str] = (), output_dir: str | Path | None = None) -> DictConfig:
    """Compose the training config outside a Hydra app (notebooks, tests).

    ``output_dir`` stands in for the run folder Hydra would create.
    """
    from hydra import compose as hydra_compose
    from hydra import initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra
    from hydra.core.hydra_config import HydraConfig

    register_resolvers()
    GlobalHydra.instance().clear()
    with initialize_config_dir(str(config_dir()), version_base="1.3"):
        cfg = hydra_compose(CONFIG_NAME, overrides=list(overrides), return_hydra_config=True)
    HydraConfig.instance().set_config(cfg)
    if output_dir is not None:
        cfg.paths.output_dir = str(output_dir)
    del cfg.hydra
    return cfg


def print_config(cfg: DictConfig) -> None:
    """Print the composed config as a tree, one branch per top-level group."""
    import rich
    import rich.syntax
    import rich.tree

    tree = rich.tree.Tree("config", guide_style="dim")
    for key, value in cfg.items():
        text = OmegaConf.to_yaml(value, resolve=True) if isinstance(value, DictConfig) else value
        branch = tree.add(str(key))
        branch.add(rich.syntax.Syntax(str(text), "yaml"))
    rich.print(tree)


class ResolveHydraInSweeps(Callback):
    """Makes ``${hydra:...}`` resolvable in a multirun's sweep folder.

    Hydra sets its config for each job, but not before the sweeper reads ``hydra.sweep.dir``,
    which here names the task (``${hydra:runtime.choices.task}``).
    """

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        HydraConfig.instance().set_config(config)
