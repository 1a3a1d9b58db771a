"""``python -m colorization.evaluate`` for colorization: every model scored at the same hint
densities of a fixed protocol, and baselines without learning on exactly the same hints.

Random pixels (``--hint-ratios``) and Zhang et al. 2017's patch hints at a fixed number of points
(``--hint-points``), seeded per image (``task.hint_seed`` + image index) so every model sees the
same hints; ``run_hints`` is the run's own validation hints (it equals what validation logged).
Beside the model: ``*_no_color`` (the grey image), ``*_hint_mean`` (every pixel gets the hints'
mean colour) and ``*_levin`` (Levin et al. 2004's propagation; ``--baselines`` chooses).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from omegaconf import DictConfig, OmegaConf

from colorization.tasks.plugin import EvaluationProtocol, Option

DEFAULT_RATIOS = (0.0, 0.01, 0.03, 0.05)
DEFAULT_POINTS = (0, 1, 5, 10, 50)
DEFAULT_BASELINES = ("hint_mean", "levin")

EVALUATION_OPTIONS = (
    Option(
        ("--hint-ratios",),
        {
            "type": float,
            "nargs": "+",
            "default": list(DEFAULT_RATIOS),
            "metavar": "R",
            "help": "random-pixel hint densities (fractions; default: 0 0.01 0.03 0.05)",
        },
    ),
    Option(
        ("--hint-points",),
        {
            "type": int,
            "nargs": "+",
            "default": list(DEFAULT_POINTS),
            "metavar": "N",
            "help": "numbers of geometric patch hints (default: 0 1 5 10 50)",
        },
    ),
    Option(
        ("--baselines",),
        {
            "nargs": "*",
            "default": list(DEFAULT_BASELINES),
            "metavar": "NAME",
            "help": "colorization baselines on the same hints: hint_mean, levin (default: both)",
        },
    ),
)


def _with_hints(sampler: Any) -> Any:
    return lambda task: task.using_hints(sampler)


def hint_protocols(options: Mapping[str, Any]) -> list[EvaluationProtocol]:
    """The run's own hints, then each random-pixel density and each number of patch hints."""
    from colorization.data.colorization.hints import GeometricPatchHints, RandomPixelHints

    ratios = options.get("hint_ratios", DEFAULT_RATIOS)
    points = options.get("hint_points", DEFAULT_POINTS)
    protocols = [EvaluationProtocol("run_hints", "as in validation")]
    protocols += [
        EvaluationProtocol("random_pixels", f"{r:.0%}", _with_hints(RandomPixelHints(ratios=(r,))))
        for r in ratios
    ]
    protocols += [
        EvaluationProtocol(
            "geometric_points",
            f"{n} points",
            _with_hints(GeometricPatchHints(points=n, max_points=max(64, n))),
        )
        for n in points
    ]
    return protocols


def configure_evaluation(config: DictConfig, options: Mapping[str, Any]) -> None:
    """Score the chosen baselines beside the model."""
    baselines = list(options.get("baselines", DEFAULT_BASELINES))
    OmegaConf.update(config, "task.baselines", baselines, force_add=True)


def evaluation_note(config: DictConfig) -> str:
    seed = OmegaConf.select(config, "task.hint_seed", default=0)
    return (
        f"hints of test image i drawn from seed {seed} + i; random_pixels: exactly that fraction "
        "of pixels with their true ab; geometric_points: that many square patches (sides 1-9) "
        "with their mean ab, centred-normal locations (Zhang et al. 2017); run_hints: the run's "
        "own validation hints"
    )
