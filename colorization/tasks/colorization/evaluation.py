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
from colorization.tasks.settings import OptionValue, Setting

DEFAULT_RATIOS = (0.0, 0.01, 0.03, 0.05)
DEFAULT_POINTS = (0, 1, 5, 10, 50)
DEFAULT_BASELINES = ("hint_mean", "levin")
# Patch hints beyond this many cover a test image several times over (iColoriT stops at 200).
MAX_POINTS = 10_000

HINT_RATIO = OptionValue(
    "--hint-ratios", float, lambda r: 0 <= r <= 1, "a fraction of the pixels in [0, 1] (0.01: 1 %)"
)
HINT_POINTS = OptionValue(
    "--hint-points", int, lambda n: 0 <= n <= MAX_POINTS, f"a number of hints in [0, {MAX_POINTS}]"
)

EVALUATION_OPTIONS = (
    Option(
        ("--hint-ratios",),
        {
            "type": HINT_RATIO,
            "nargs": "+",
            "default": list(DEFAULT_RATIOS),
            "metavar": "R",
            "help": "random-pixel hint densities (fractions; default: 0 0.01 0.03 0.05)",
        },
    ),
    Option(
        ("--hint-points",),
        {
            "type": HINT_POINTS,
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

    ratios = HINT_RATIO.checked(options.get("hint_ratios", DEFAULT_RATIOS))
    points = HINT_POINTS.checked(options.get("hint_points", DEFAULT_POINTS))
    protocols = [EvaluationProtocol("run_hints", Setting(None, "as in validation"))]
    for ratio in ratios:
        percent = f"{ratio * 100:.6g}%"
        sampler = RandomPixelHints(ratios=(ratio,))
        setting = Setting(ratio, percent, f"@{percent}")
        protocols.append(EvaluationProtocol("random_pixels", setting, _with_hints(sampler)))
    for count in points:
        sampler = GeometricPatchHints(points=count, max_points=max(64, count))
        setting = Setting(count, f"{count} points", f"@{count}pt")
        protocols.append(
            EvaluationProtocol("geometric_points", setting, _with_hints(sampler), summary=False)
        )
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
