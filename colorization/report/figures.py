"""The report's figures (matplotlib, written as PNG): validation curves of every run, and the
same validation images through each run's best checkpoint, side by side."""

from __future__ import annotations

import logging
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only; no display needed
import matplotlib.pyplot as plt  # noqa: E402
import torch  # noqa: E402

from colorization.build import build_datamodule
from colorization.report.collect import RunRecord  # noqa: E402
from colorization.runs.trained import load_trained_task  # noqa: E402

log = logging.getLogger(__name__)


def curves(records: list[RunRecord], path: Path) -> None:
    """One panel per monitored metric, one line per run: the metric at each validation."""
    monitors = sorted({r.run.monitor for r in records})
    figure, axes = plt.subplots(1, len(monitors), figsize=(6.5 * len(monitors), 4.2), squeeze=False)
    for axis, monitor in zip(axes[0], monitors, strict=True):
        for record in records:
            if record.run.monitor != monitor:
                continue
            rows = [r for r in record.history if r.get(monitor)]
            epochs = [int(r["epoch"]) for r in rows]
            axis.plot(epochs, [float(r[monitor]) for r in rows], marker=".", label=record.name)
        axis.set_xlabel("epoch")
        axis.set_ylabel(monitor)
        axis.grid(alpha=0.3)
        axis.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
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
    figure.savefig(path, dpi=110)
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
