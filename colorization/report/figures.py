"""The report's figures (matplotlib, written as PNG): validation curves of every configuration
(the mean over its seeds, with a 95 % band), and the same validation images through each
configuration's best checkpoint (its first seed), side by side."""

from __future__ import annotations

import logging
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only; no display needed
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402

from colorization.build import build_datamodule  # noqa: E402
from colorization.report.collect import RunRecord  # noqa: E402
from colorization.report.configurations import Configuration  # noqa: E402
from colorization.report.statistics import t_interval  # noqa: E402
from colorization.trained.run import load_trained_task  # noqa: E402
from colorization.writing import replacing

log = logging.getLogger(__name__)


def curves(configurations: list[Configuration], path: Path) -> None:
    """One panel per monitored metric, one line per configuration: the metric at each epoch's
    last validation, averaged over the seeds that reached that epoch, with the 95 % t band
    where two or more did."""
    monitors = sorted({c.monitor for c in configurations})
    figure, axes = plt.subplots(1, len(monitors), figsize=(6.5 * len(monitors), 4.2), squeeze=False)
    for axis, monitor in zip(axes[0], monitors, strict=True):
        for configuration in configurations:
            if configuration.monitor != monitor:
                continue
            by_epoch: dict[int, list[float]] = {}
            for record in configuration.runs:
                last = {
                    int(r["epoch"]): float(r[monitor]) for r in record.history if r.get(monitor)
                }
                for epoch, value in last.items():
                    by_epoch.setdefault(epoch, []).append(value)
            epochs = sorted(by_epoch)
            means = np.array([np.mean(by_epoch[e]) for e in epochs])
            seeds = len(configuration.runs)
            label = configuration.label + (f" ({seeds} seeds)" if seeds > 1 else "")
            (line,) = axis.plot(epochs, means, marker=".", label=label)
            widths = [t_interval(by_epoch[e]) for e in epochs]
            if any(w is not None for w in widths):
                half = np.array([np.nan if w is None else w for w in widths])
                axis.fill_between(
                    epochs, means - half, means + half, color=line.get_color(), alpha=0.2
                )
        axis.set_xlabel("epoch")
        axis.set_ylabel(monitor)
        axis.grid(alpha=0.3)
        axis.legend(fontsize=8)
    figure.tight_layout()
    with replacing(path, "wb") as handle:
        figure.savefig(handle, format="png", dpi=110)
    plt.close(figure)


@torch.no_grad()
def side_by_side(
    records: list[RunRecord], path: Path, labels: dict[str, str], num_images: int = 4
) -> list[str]:
    """Rows: ``num_images`` validation images spread over the first run's data (with its
    seeded hints); columns: the first run's input panels, each run's prediction (titled by
    ``labels[run name]``), the target. Runs of another task than the first are left out.
    Returns the column titles."""
    first = records[0]
    runs = [(r, load_trained_task(r.run)) for r in records if r.run.checkpoint is not None]
    kind = type(runs[0][1])
    runs = [(r, task) for r, task in runs if type(task) is kind]
    batch = _spread_images(first, num_images)
    titles = list(kind.preview_titles)
    slot = titles.index("prediction")
    panels_of_first = runs[0][1].preview(batch)
    columns = panels_of_first[:slot]
    names = titles[:slot]
    for record, task in runs:
        columns.append(task.preview(batch)[slot])
        names.append(labels.get(record.name, record.name))
    columns += panels_of_first[slot + 1 :]
    names += titles[slot + 1 :]
    rows = columns[0].shape[0]
    figure, axes = plt.subplots(
        rows, len(columns), figsize=(2.2 * len(columns), 2.2 * rows + 0.4), squeeze=False
    )
    for col, (panel, name) in enumerate(zip(columns, names, strict=True)):
        axes[0][col].set_title(name, fontsize=8)
        for row in range(rows):
            axes[row][col].imshow(panel[row].permute(1, 2, 0).clamp(0, 1).numpy())
            axes[row][col].axis("off")
    figure.tight_layout()
    with replacing(path, "wb") as handle:
        figure.savefig(handle, format="png", dpi=110)
    plt.close(figure)
    return names


def _spread_images(record: RunRecord, count: int) -> dict[str, torch.Tensor]:
    """``count`` validation samples spread evenly over a run's validation set, as one batch
    (each keeps its index, so its hints are the seeded ones validation used)."""
    datamodule = build_datamodule(record.run.config)
    datamodule.setup("validate")
    size = len(datamodule.val_set)
    picked = sorted({round(i * (size - 1) / max(count - 1, 1)) for i in range(min(count, size))})
    samples = [datamodule.val_set[i] for i in picked]
    if len({tuple(s["image"].shape) for s in samples}) > 1:  # whole images of different sizes
        side = min(min(s["image"].shape[-2:]) for s in samples)
        samples = [{k: _crop(v, side) for k, v in s.items()} for s in samples]
    return {key: torch.stack([torch.as_tensor(s[key]) for s in samples]) for key in samples[0]}


def _crop(value: object, side: int) -> object:
    if isinstance(value, torch.Tensor) and value.dim() >= 2:
        return value[..., :side, :side]
    return value
