"""Finding, composing and showing the Hydra configs.

The configs live in the repository's top-level ``conf/``; a wheel carries a copy inside the
package (``colorization/conf``). :func:`config_dir` finds whichever exists, so
``python -m colorization.train`` works from any working directory, installed or from a clone.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from omegaconf import DictConfig, OmegaConf

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


def slug(name: str) -> str:
    """Metric name to a file-name-safe tag: ``val/psnr`` -> ``val_psnr``."""
    return str(name).replace("/", "_")


def register_resolvers() -> None:
    """OmegaConf resolvers used by the configs (idempotent)."""
    if not OmegaConf.has_resolver("slug"):
        OmegaConf.register_new_resolver("slug", slug)


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
