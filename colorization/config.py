"""Finding, composing and showing the Hydra configs.

The configs live in the repository's top-level ``conf/``; a wheel carries a copy inside the
package (``colorization/conf``). :func:`config_dir` finds whichever exists, so
``python -m colorization.train`` works from any working directory, installed or from a clone.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from hydra.core.hydra_config import HydraConfig
from hydra.experimental.callback import Callback
from omegaconf import DictConfig, OmegaConf

from colorization.run_folder import run_dir

# The Optuna sweeper (hydra/sweeper=colorization_optuna). Hydra finds plugins by scanning the
# hydra_plugins namespace; an editable install hides that namespace from the scan (setuptools'
# import hook lists no modules), so the sweeper and its config are registered here as well.
from hydra.core.plugins import Plugins  # noqa: E402  isort: skip
from hydra_plugins.colorization_optuna.sweeper import OptunaStudySweeper  # noqa: E402  isort: skip

Plugins.instance().register(OptunaStudySweeper)

_PACKAGE_DIR = Path(__file__).resolve().parent
CONFIG_NAME = "train"


def config_dir() -> Path:
    """The folder holding ``train.yaml`` and the config groups."""
    for candidate in (_PACKAGE_DIR.parent / "conf", _PACKAGE_DIR / "conf"):
        if (candidate / f"{CONFIG_NAME}.yaml").is_file():
            return candidate
    raise FileNotFoundError(
        f"No {CONFIG_NAME}.yaml next to the colorization package ({_PACKAGE_DIR}). "
        "Reinstall it with `pip install -e .` from a clone of the repository."
    )


def task_choice(task: str, group: str) -> str | None:
    """The option of ``group`` that a ``task=`` YAML selects (its ``override /<group>: ...``
    default, e.g. ``task=superres`` -> ``model`` ``rdn``), or None when it keeps the main one."""
    defaults = OmegaConf.load(config_dir() / "task" / f"{task}.yaml").get("defaults", [])
    key = f"override /{group}"
    for entry in defaults:
        if OmegaConf.is_dict(entry) and key in entry:
            return str(entry[key])
    return None


def slug(name: str) -> str:
    """Metric name to a file-name-safe tag: ``val/psnr`` -> ``val_psnr``."""
    return str(name).replace("/", "_")


def register_resolvers() -> None:
    """OmegaConf resolvers used by the configs (registered once, when this module loads)."""
    for name, function in (("slug", slug), ("run_dir", run_dir)):
        if not OmegaConf.has_resolver(name):
            OmegaConf.register_new_resolver(name, function)


def _positive(value: Any) -> bool:
    return value > 0


def _fraction(value: Any) -> bool:
    return 0 < value <= 1


# (key, check, what a valid value is): checked before anything is built or trained.
_CHECKS: tuple[tuple[str, Callable[[Any], bool], str], ...] = (
    ("optimizer.lr", _positive, "a positive number, e.g. optimizer.lr=1e-3"),
    ("optimizer.weight_decay", lambda v: v >= 0, "0 or positive"),
    ("data.image_size", lambda v: isinstance(v, int) and v > 0, "a positive integer"),
    ("data.batch_size", lambda v: isinstance(v, int) and v > 0, "a positive integer"),
    (
        "data.num_workers",
        lambda v: v == "auto" or (isinstance(v, int) and v >= 0),
        "auto or an integer >= 0",
    ),
    ("trainer.max_epochs", lambda v: v == -1 or v >= 1, ">= 1 (or -1 for no limit)"),
    ("optimization.accumulate_grad_batches", _positive, "a positive integer"),
    ("optimization.compile", lambda v: isinstance(v, bool), "true or false"),
    (
        "optimization.channels_last",
        lambda v: isinstance(v, bool) or v == "auto",
        "true, false or auto",
    ),
    ("task.hints.ratios", lambda v: len(v) > 0 and all(map(_fraction, v)), "fractions in (0, 1]"),
)


# Keys that moved in 0.2, with their new place (README: "Renamed options").
MOVED_KEYS = {
    "trainer.accumulate_grad_batches": "optimization.accumulate_grad_batches",
    "trainer.gradient_clip_val": "optimization.gradient_clip_val",
    "trainer.gradient_clip_algorithm": "optimization.gradient_clip_algorithm",
    "trainer.channels_last": "optimization.channels_last",
    "trainer.compile": "optimization.compile",
    "safety.checkpoint_every_n_steps": "callbacks.last_checkpoint.every_n_train_steps",
}


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
# gradients it averages itself (colorization/tasks/distributed.py).
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


def validate_config(cfg: DictConfig) -> None:
    """Fail at start, naming the key, for values that would only break later."""
    check_top_level_keys(cfg)
    check_strategy(cfg)
    for old, new in MOVED_KEYS.items():
        value = OmegaConf.select(cfg, old, default=None)
        if value is not None:
            raise ValueError(f"Invalid config: {old}={value} has moved; set {new}={value}.")
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


register_resolvers()


class ResolveHydraInSweeps(Callback):
    """Makes ``${hydra:...}`` resolvable in a multirun's sweep folder.

    Hydra sets its config for each job, but not before the sweeper reads ``hydra.sweep.dir``,
    which here names the task (``${hydra:runtime.choices.task}``).
    """

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        HydraConfig.instance().set_config(config)
