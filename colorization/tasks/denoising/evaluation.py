"""``python -m colorization.evaluate`` for denoising: every model at the same noise levels
(``--sigmas``, 15, 25 and 50 by default, the levels the papers report), on the same noisy images
(seeded per image), with classical denoisers on exactly those images (``--denoisers``)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from omegaconf import DictConfig, OmegaConf

from colorization.data.denoising.levels import EXPECTED, is_noise_level
from colorization.tasks.plugin import EvaluationProtocol, Option
from colorization.tasks.settings import OptionValue, Setting

DEFAULT_SIGMAS = (15.0, 25.0, 50.0)
DEFAULT_DENOISERS = ("nlm",)
SIGMA = OptionValue("--sigmas", float, is_noise_level, EXPECTED)

EVALUATION_OPTIONS = (
    Option(
        ("--sigmas",),
        {
            "type": SIGMA,
            "nargs": "+",
            "default": list(DEFAULT_SIGMAS),
            "metavar": "S",
            "help": "noise levels on the 0-255 scale (default: 15 25 50)",
        },
    ),
    Option(
        ("--denoisers",),
        {
            "nargs": "*",
            "default": list(DEFAULT_DENOISERS),
            "metavar": "NAME",
            "help": "classical denoisers on the same noisy images: nlm, bm3d (needs the bm3d "
            "package) (default: nlm)",
        },
    ),
)


def _at_sigma(sigma: float) -> Any:
    @contextmanager
    def noise_level(task: Any) -> Iterator[None]:
        trained_with = task.eval_sigma
        task.eval_sigma = sigma
        try:
            yield
        finally:
            task.eval_sigma = trained_with

    return noise_level


def sigma_protocols(options: Mapping[str, Any]) -> list[EvaluationProtocol]:
    """One protocol per noise level."""
    sigmas = SIGMA.checked(options.get("sigmas", DEFAULT_SIGMAS))
    return [
        EvaluationProtocol("noise", Setting(s, f"sigma {s:g}", f"@sigma{s:g}"), _at_sigma(s))
        for s in sigmas
    ]


def configure_evaluation(config: DictConfig, options: Mapping[str, Any]) -> None:
    """Score the chosen classical denoisers beside the model."""
    denoisers = list(options.get("denoisers", DEFAULT_DENOISERS))
    OmegaConf.update(config, "task.baselines", denoisers, force_add=True)


def evaluation_note(config: DictConfig) -> str:
    seed = OmegaConf.select(config, "task.noise_seed", default=0)
    clipped = (
        "clipped to [0, 1]"
        if OmegaConf.select(config, "task.clip", default=False)
        else ("not clipped")
    )
    return (
        f"white Gaussian noise of each level (0-255 scale) added to test image i from seed "
        f"{seed} + i, {clipped}; PSNR and SSIM of the clipped prediction against the clean image; "
        "*_noisy: the noisy input itself; *_nlm / *_bm3d: classical denoisers on the same images"
    )
