"""A search space written as Hydra sweep overrides, turned into Optuna distributions.

The ``hydra.sweeper.params`` syntax is the one Hydra's Optuna sweeper users know::

    optimizer.lr: tag(log, interval(1e-4, 1e-3))   # float, log-uniform
    model.depth: int(interval(3, 5))               # int, uniform (interval alone: float)
    data.batch_size: range(4, 17, step=4)          # 4, 8, 12, 16
    optimizer: choice(adam, sgd, rmsprop)          # a config group's options
    trainer.max_epochs: 5                          # fixed for every trial

Every key is checked against the composed config (or a config group and its options) before
the first trial, so a typo stops the search at once instead of failing each trial.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import optuna.distributions as dist
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.core.override_parser.types import ChoiceSweep, IntervalSweep, Override, RangeSweep
from omegaconf import DictConfig, OmegaConf

from colorization.errors import UserError

_PLAIN = re.compile(r"^[\w./-]+$")
_ABSENT = object()


@dataclass
class SearchSpace:
    """What Optuna samples (``distributions``) and what every trial gets as is (``fixed``)."""

    distributions: dict[str, dist.BaseDistribution] = field(default_factory=dict)
    fixed: dict[str, str] = field(default_factory=dict)
    groups: set[str] = field(default_factory=set)

    def overrides(self, params: Mapping[str, Any]) -> list[str]:
        """Hydra overrides for one trial: fixed values, then sampled ones; config-group choices
        come first, so that ``optimizer=sgd`` is applied before ``optimizer.lr=...``."""
        values = {**self.fixed, **{key: as_override_value(v) for key, v in params.items()}}
        ordered = sorted(values, key=lambda key: key.lstrip("+") not in self.groups)
        return [f"{key}={values[key]}" for key in ordered]


def as_override_value(value: Any) -> str:
    """A sampled value written back as an override value (strings quoted only when needed)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, str) and not _PLAIN.match(value):
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
    return str(value)


def parse_space(
    params: Mapping[str, Any] | None,
    arguments: list[str],
    config: DictConfig,
    group_options: Callable[[str], list[str]],
) -> tuple[SearchSpace, list[str]]:
    """The search space of ``hydra.sweeper.params`` plus any sweep on the command line, and the
    command line's plain overrides (given to every trial as they are; a plain value for a key
    of the space pins it)."""
    parser = OverridesParser.create()
    from_yaml = [f"{key}={value}" for key, value in (params or {}).items()]
    try:
        parsed = parser.parse_overrides(from_yaml)
        parsed_arguments = parser.parse_overrides(arguments)
    except Exception as error:  # Hydra's grammar errors
        lines = [line for line in str(error).splitlines() if not line.startswith("See http")]
        raise UserError(f"hydra.sweeper.params: {'; '.join(lines)}") from error
    groups = set(OmegaConf.select(config, "hydra.runtime.choices", default={}) or {})
    space = SearchSpace(groups=groups)
    plain = []
    for override in parsed_arguments:
        if override.is_sweep_override():
            parsed.append(override)
        else:
            plain.append(override.input_line)
    for override in parsed:
        key = override.get_key_element()
        _check_key(override, key, config, groups)
        if override.is_sweep_override():
            space.distributions[key] = _distribution(override, key, groups, group_options)
            space.fixed.pop(key, None)
        else:
            space.fixed[key] = override.get_value_element_as_str()
            space.distributions.pop(key, None)
    for override in parsed_arguments:  # a plain value on the command line pins a dimension
        if not override.is_sweep_override():
            space.distributions.pop(override.get_key_element(), None)
            space.fixed.pop(override.get_key_element(), None)
    if not space.distributions:
        raise UserError(
            "The search space is empty: give hydra.sweeper.params a choice(...), interval(...) "
            "or range(...) (e.g. hparams_search=colorization_optuna)."
        )
    return space, plain


def _check_key(override: Override, key: str, config: DictConfig, groups: set[str]) -> None:
    if override.is_add() or override.is_force_add() or key in groups:
        return
    if OmegaConf.select(config, key, default=_ABSENT) is _ABSENT:
        raise UserError(
            f"hydra.sweeper.params: '{key}' is not a key of the config nor a config group; "
            f"check the spelling (python -m colorization.train --cfg job shows the keys) or "
            f"write +{key} to add a new key."
        )


def _distribution(
    override: Override, key: str, groups: set[str], group_options: Callable[[str], list[str]]
) -> dist.BaseDistribution:
    sweep = override.value()
    if isinstance(sweep, ChoiceSweep):
        choices = [Override._convert_value(value) for value in sweep.list]
        if key in groups:
            known = group_options(key)
            unknown = [c for c in choices if str(c) not in known]
            if unknown:
                raise UserError(
                    f"hydra.sweeper.params.{key}: {', '.join(map(str, unknown))} is not an option "
                    f"of config group {key} (options: {', '.join(known)})."
                )
        return dist.CategoricalDistribution(choices)
    if isinstance(sweep, RangeSweep):
        values = list(sweep.range())
        if not values:
            raise UserError(f"hydra.sweeper.params.{key}: {override.input_line} is empty.")
        if all(isinstance(v, int) for v in values) and sweep.step > 0:
            return dist.IntDistribution(values[0], values[-1], step=int(sweep.step))
        return dist.CategoricalDistribution(values)
    if isinstance(sweep, IntervalSweep):
        low, high, log = sweep.start, sweep.end, "log" in sweep.tags
        if not low < high or (log and low <= 0):
            raise UserError(
                f"hydra.sweeper.params.{key}: interval({low}, {high}) needs low < high"
                + (" and low > 0 on a log scale." if log else ".")
            )
        if isinstance(low, int) and isinstance(high, int):
            return dist.IntDistribution(low, high, log=log)
        return dist.FloatDistribution(float(low), float(high), log=log)
    raise UserError(
        f"hydra.sweeper.params.{key}: {override.input_line} is not a search dimension; use "
        "choice(...), range(...) or [tag(log, ]interval(...)[)]."
    )
