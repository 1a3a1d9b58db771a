"""What opening a run folder may do: build the objects its recorded config names, and nothing
else. A run folder is data (people share them and download them); its ``.hydra/config.yaml``
names classes by ``_target_``, and building an arbitrary target runs arbitrary code
(``shutil.copy``, ``torch.save``, ...). So every ``_target_`` of a recorded config must be one
the framework's own configs use (``conf/``, with the paths earlier versions named them by), or
lie in a module the user trusts (``COLORIZATION_TRUSTED_TARGETS=mypackage,other.models``, for
models of their own: whole module paths, ``sh`` does not trust ``shutil``); anything else stops
before a single object is built.

A target can also hide behind a resolver: OmegaConf's ``oc.create`` and ``oc.decode`` build a
node, ``_target_`` included, from a string when the config is resolved, after any check of the
text as written. So the config is checked as it will be built: its interpolations may call only
the resolvers in :data:`SAFE_RESOLVERS` (those the framework's own configs use, none of which
makes a node from a string or reads the environment), with no dict or list literal among their
arguments; then every ``_target_`` of the resolved tree must be trusted."""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import Any

import yaml
from hydra.utils import get_class
from omegaconf import DictConfig, OmegaConf, grammar_parser
from omegaconf.errors import GrammarParseError, OmegaConfBaseException

from colorization import config_dir
from colorization.compat import config_targets, moved_target
from colorization.data.images import shown
from colorization.errors import UserError, first_line
from colorization.runs.folder import register_run_resolvers

TRUST_VARIABLE = "COLORIZATION_TRUSTED_TARGETS"

# The resolvers a recorded config may call: the framework's own (config.register_resolvers),
# Hydra's ``now`` and ``hydra`` (the run's own Hydra settings), and ``oc.select`` (a key of the
# same config, or a plain default). Everything else is refused, ``oc.create`` and ``oc.decode``
# (a node from a string), ``oc.env`` (the environment) and any resolver registered by another
# package among them.
SAFE_RESOLVERS = frozenset({"slug", "run_dir", "now", "hydra", "oc.select"})


# A recorded config is a few kilobytes; larger files are not read (nor YAML aliases expanded:
# a "billion laughs" file would build an exponentially large tree).
MAX_CONFIG_BYTES = 4 * 2**20


class UntrustedRunError(UserError):
    """A run's config names a target this framework does not build."""


class DamagedRunError(UserError):
    """A run's recorded config is no config the train command wrote."""


@functools.cache
def shipped_targets() -> frozenset[str]:
    """Every ``_target_`` of the configs this framework ships (``conf/**/*.yaml``)."""
    configs = (OmegaConf.load(path) for path in config_dir().rglob("*.yaml"))
    return frozenset(target for config in configs for _, target in config_targets(config))


@functools.cache
def _shipped_classes() -> frozenset[Any]:
    own = (t for t in shipped_targets() if t.split(".")[0] == "colorization")
    return frozenset(get_class(target) for target in own)


def is_trusted(target: str) -> bool:
    """Whether a recorded config may build ``target``: a shipped target, an earlier path of
    one of the framework's own classes, or a target under a prefix the user trusts."""
    if target in shipped_targets() or moved_target(target) in shipped_targets():
        return True
    if any(_within(target, module) for module in trusted_modules()):
        return True
    if target.split(".")[0] != "colorization":
        return False
    try:  # importing the framework's own modules does nothing (tests/unit/test_architecture.py)
        return get_class(moved_target(target)) in _shipped_classes()
    except Exception:  # not a class of this version
        return False


def trusted_modules() -> list[str]:
    """The modules (or packages) ``COLORIZATION_TRUSTED_TARGETS`` names, comma-separated."""
    names = os.environ.get(TRUST_VARIABLE, "").split(",")
    return [name.strip().rstrip(".") for name in names if name.strip().rstrip(".")]


def _within(target: str, module: str) -> bool:
    """Whether ``target`` is ``module`` or lies inside it, by whole dotted names."""
    return target == module or target.startswith(module + ".")


def refused_interpolation(value: str) -> str | None:
    """Why an interpolation in a recorded value may not be resolved (None: it may): a resolver
    outside :data:`SAFE_RESOLVERS`, or a dict or list literal among a resolver's arguments (the
    node that ``oc.select``'s default would become)."""
    if "${" not in value:
        return None
    try:
        tree = grammar_parser.parse(value)
    except GrammarParseError:
        return None  # it cannot resolve to anything: resolving the config fails, in one line
    stack: list[Any] = [tree]
    while stack:
        node = stack.pop()
        kind = type(node).__name__
        if kind == "ResolverNameContext" and node.getText() not in SAFE_RESOLVERS:
            return f"the resolver {node.getText()}"
        if kind in ("DictContainerContext", "ListContainerContext"):
            return f"a {'dict' if kind.startswith('Dict') else 'list'} literal {node.getText()}"
        stack.extend(node.getChild(i) for i in range(node.getChildCount() or 0))
    return None


def refused_resolvers(config: DictConfig) -> list[tuple[str, str]]:
    """(dotted key, what is refused) for every value of ``config`` (read as written) whose
    interpolation :func:`refused_interpolation` refuses."""
    found: list[tuple[str, str]] = []
    stack: list[tuple[Any, str]] = [(OmegaConf.to_container(config, resolve=False), "")]
    while stack:
        node, prefix = stack.pop()
        if isinstance(node, dict):
            stack.extend((value, f"{prefix}{key}.") for key, value in node.items())
        elif isinstance(node, list):
            stack.extend((item, f"{prefix}{i}.") for i, item in enumerate(node))
        elif isinstance(node, str) and (why := refused_interpolation(node)):
            found.append((prefix.rstrip("."), why))
    return sorted(found)


def untrusted_targets(config: DictConfig) -> list[tuple[str, str]]:
    """(key, target) of every ``_target_`` in ``config`` that :func:`is_trusted` refuses."""
    return [(key, target) for key, target in config_targets(config) if not is_trusted(target)]


def read_recorded_config(source: Path) -> DictConfig:
    """A run's recorded config (``<run>/.hydra/config.yaml``) as written, or one line naming
    the file when it is no config this framework wrote: not UTF-8, not YAML, a YAML tag
    (``!!python/...``), empty, or no mapping."""
    try:
        if source.stat().st_size > MAX_CONFIG_BYTES:
            raise DamagedRunError(
                f"{shown(source)} is larger than {MAX_CONFIG_BYTES // 2**20} MiB: no run records "
                "such a config; the run folder is damaged or was not written by the train command."
            )
        text = source.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        problem = "is not UTF-8 text"
    else:
        try:
            if any(isinstance(token, yaml.AliasToken) for token in yaml.scan(text)):
                raise yaml.YAMLError("it uses YAML aliases (*name), which no run records")
            config = OmegaConf.create(text)
        except yaml.YAMLError as error:
            where = getattr(error, "problem_mark", None)
            line = f" (line {where.line + 1})" if where is not None else ""
            problem = f"is no YAML a run records{line}: {getattr(error, 'problem', None) or error}"
        except (OmegaConfBaseException, ValueError) as error:
            problem = f"is no config: {first_line(error)}"
        else:
            if isinstance(config, DictConfig) and len(config):
                return config
            problem = "is empty" if not text.strip() else "holds no mapping of config keys"
    raise DamagedRunError(
        f"{shown(source)} {problem}; the run folder is damaged or was not written by the train "
        "command. Restore the file from the run's origin, or train the run again."
    )


def check_trusted(config: DictConfig, source: Path) -> None:
    """Stop, naming the file, the key and the target, if ``config`` (read from ``source``)
    names a target this framework does not build."""
    resolvers = refused_resolvers(config)
    if resolvers:
        key, why = resolvers[0]
        raise UntrustedRunError(
            f"{shown(source)}: {key} calls {why}{_more(resolvers)}, which this framework's "
            "configs never record (it could build any object or read the environment), so the "
            "run folder is not opened. Resolvers a run config may use: "
            f"{', '.join(sorted(SAFE_RESOLVERS))}."
        )
    refused = untrusted_targets(config) or _resolved_untrusted_targets(config, source)
    if refused:
        key, target = refused[0]
        raise UntrustedRunError(
            f"{shown(source)}: {key}={target}{_more(refused)} is not a class this framework "
            "builds, so the run folder is not opened (building it could run any code). If you "
            f"wrote that class and trust this run, set {TRUST_VARIABLE}={target.rsplit('.', 1)[0]}."
        )


def _more(found: list[tuple[str, str]]) -> str:
    return f" (and {len(found) - 1} more)" if len(found) > 1 else ""


def _resolved_untrusted_targets(config: DictConfig, source: Path) -> list[tuple[str, str]]:
    """:func:`untrusted_targets` of the config as it will be built (its interpolations
    resolved, with the resolvers :func:`refused_resolvers` let through)."""
    register_run_resolvers()
    try:
        resolved = OmegaConf.create(OmegaConf.to_container(config, resolve=True))
    except OmegaConfBaseException as error:
        raise UntrustedRunError(
            f"{shown(source)}: its interpolations do not resolve ({first_line(error)}); a run "
            "folder's config.yaml is written by the train command, give one it wrote."
        ) from None
    return untrusted_targets(resolved)
