"""Published evaluation protocols: measuring a trained task as a paper's table does.

A task's own evaluation (:class:`~colorization.tasks.plugin.EvaluationProtocol`) tests the run's
test set the way the run was validated. A :class:`PublishedProtocol` instead fixes everything a
published number depends on (the test images and their resizing, the degraded inputs, the
metrics, their colour space, border and rounding) so that ``python -m colorization.evaluate
<run> --protocol NAME`` writes numbers a user may set beside the paper's. Each task's plugin
lists its protocols (``TaskPlugin.evaluate.published``); :func:`run_protocol` runs one, image
by image, in float32 (whatever precision the run trained in).
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from typing import Any

import torch
from omegaconf import DictConfig
from torch.utils.data import Dataset, default_collate

from colorization.metrics import image_psnr
from colorization.tasks.image_scores import target_digest
from colorization.tasks.settings import AS_TRAINED, Setting, metric_rows

# () -> the run's own test images, whole, one per batch (what a protocol tests without a folder)
RunTestImages = Callable[[], Dataset]


@dataclass
class ProtocolResult:
    """Rows for ``evaluation.csv`` (setting, metric, value) and ``evaluation_images.csv``
    (setting, image, index, digest and the image's scores), and what was left out and why."""

    metrics: list[dict[str, Any]] = field(default_factory=list)
    images: list[dict[str, Any]] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)
    left_out: dict[str, str] = field(default_factory=dict)  # test image -> why it is not scored


class PublishedProtocol(ABC):
    """One published way of testing a task.

    Subclasses set ``name`` (``--protocol NAME``), ``summary`` (what it does, one line),
    ``papers`` (who reports numbers this way) and ``anchors`` (published numbers it makes
    comparable), and implement :meth:`test_set` and :meth:`score`. A protocol whose set-level
    numbers are not the mean of the images' (a summed confusion matrix) overrides
    :meth:`summarise`.
    """

    name: str
    task: str
    summary: str
    papers: str
    anchors: str = ""

    def settings(self, config: DictConfig) -> list[Setting]:
        """The settings the protocol is run at (noise levels, numbers of hints, the scale),
        typed; their labels name the report's columns (``awgn-benchmark psnr @sigma 15``)."""
        return [AS_TRAINED]

    def applied(self, task: Any, setting: Setting) -> AbstractContextManager[None]:
        """A context the task is scored in at ``setting`` (other hints, another noise level)."""
        return nullcontext()

    @abstractmethod
    def test_set(self, config: DictConfig, run_test_images: RunTestImages) -> Dataset:
        """The images to test: a folder in the protocol's layout (``data.test_root``; a wrong
        layout raises one line naming the missing folder), or ``run_test_images()``."""

    @abstractmethod
    def score(
        self, task: Any, batch: dict[str, Any], setting: Setting
    ) -> tuple[torch.Tensor, dict[str, float]]:
        """One test image (a batch of one): (its target, for the digest; its scores)."""

    def summarise(self, setting: Setting, images: list[dict[str, Any]]) -> dict[str, float]:
        """The set's numbers at ``setting`` from its images' rows: each score's mean over the
        images that have it (NaN: not defined for that image, such as an empty glare mask)."""
        names = sorted({k for row in images for k in row} - {"image", "index", "digest"})
        return {name: nan_mean([row.get(name, math.nan) for row in images]) for name in names}

    def skipped(self) -> dict[str, str]:
        """Metrics the protocol names that could not be computed here, with the reason."""
        return {}

    def note(self, config: DictConfig) -> str:
        return f"{self.summary} ({self.papers})"


def protocol_device(config: DictConfig) -> torch.device:
    """The run's accelerator: CUDA when it is there and the run did not ask for the CPU."""
    accelerator = str(config.get("trainer", {}).get("accelerator", "auto"))
    cuda = torch.cuda.is_available() and accelerator in ("auto", "gpu", "cuda")
    return torch.device("cuda" if cuda else "cpu")


def _batches(dataset: Dataset, left_out: dict[str, str]) -> Iterator[dict[str, Any]]:
    """The test images one per batch; one that does not load (a file damaged after the header
    check) is recorded in ``left_out`` and skipped, never replaced by another."""
    name_of = getattr(dataset, "item_name", None)
    for index in range(len(dataset)):  # type: ignore[arg-type]
        try:
            item = dataset[index]
        except ValueError as error:
            left_out[name_of(index) if name_of else f"#{index}"] = str(error)
            continue
        yield default_collate([item])


def run_protocol(
    protocol: PublishedProtocol,
    task: Any,
    config: DictConfig,
    run_test_images: RunTestImages,
) -> ProtocolResult:
    """Score every test image at every setting with ``task`` (eval mode, no gradients, float32,
    on the run's accelerator); images named by the test set where it names them."""
    dataset = protocol.test_set(config, run_test_images)
    if len(dataset) == 0:
        raise ValueError(f"--protocol {protocol.name}: the test set has no images.")
    device = protocol_device(config)
    task.to(device).eval()
    name_of = getattr(dataset, "item_name", None)
    result = ProtocolResult(skipped=protocol.skipped())
    result.left_out.update(getattr(dataset, "left_out", None) or {})
    for setting in protocol.settings(config):
        rows = []
        with torch.no_grad(), protocol.applied(task, setting):
            for position, batch in enumerate(_batches(dataset, result.left_out)):
                batch = _to(batch, device)
                index = int(batch["index"][0]) if "index" in batch else position
                target, scores = protocol.score(task, batch, setting)
                name = name_of(index) if name_of else f"#{index}"
                rows.append(
                    {"image": name, "index": index, "digest": target_digest(target), **scores}
                )
        summary = protocol.summarise(setting, rows)
        result.metrics += metric_rows(protocol.name, setting, summary)
        result.images += [{"protocol": protocol.name, "setting": setting.text, **r} for r in rows]
    return result


def _to(batch: Mapping[str, Any], device: torch.device) -> dict[str, Any]:
    return {k: v.to(device) if isinstance(v, torch.Tensor) else v for k, v in batch.items()}


def prediction(task: Any, batch: dict[str, Any]) -> tuple[Any, torch.Tensor]:
    """(the task's prepared batch, its decoded prediction), as its test step makes them."""
    prepared = task.prepare_batch(batch, "test")
    return prepared, task.decoded(task.predict_images(prepared.inputs), prepared.target)


def quantized(images: torch.Tensor) -> torch.Tensor:
    """[0, 1] images as the 0-255 levels a saved 8-bit file holds (float), as papers score."""
    return (images.float().clamp(0, 1) * 255).round()


def nan_mean(values: list[float]) -> float:
    """The mean of the values that are not NaN (NaN if none is)."""
    kept = [v for v in values if not math.isnan(v)]
    return sum(kept) / len(kept) if kept else math.nan


def ssim_255(preds: torch.Tensor, target: torch.Tensor) -> float:
    """SSIM of one image on the 0-255 scale (torchmetrics': Gaussian window 11, sigma 1.5, the
    constants of MATLAB's ``ssim`` and BasicSR's ``calculate_ssim``)."""
    from torchmetrics.functional.image import structural_similarity_index_measure

    return float(structural_similarity_index_measure(preds, target, data_range=255.0))


def psnr_255(preds: torch.Tensor, target: torch.Tensor) -> float:
    """PSNR (dB) of one image (a batch of one) on the 0-255 scale, capped as the tasks' is."""
    return float(image_psnr(preds, target, data_range=255.0))


def psnr_ssim_255(images: Mapping[str, torch.Tensor], truth: torch.Tensor) -> dict[str, float]:
    """``psnr<suffix>`` and ``ssim<suffix>`` on the 0-255 scale of each image of ``images``
    (suffix -> a batch of one) against ``truth``: a model's output and its baselines'."""
    scores = {}
    for suffix, image in images.items():
        scores[f"psnr{suffix}"] = psnr_255(image, truth)
        scores[f"ssim{suffix}"] = ssim_255(image, truth)
    return scores
