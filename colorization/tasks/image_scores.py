"""Each test image's scores, as ``evaluate`` writes them to ``evaluation_images.csv``: a task's
``image_scores`` of every test batch, with the image's dataset index and a digest of its target
(two runs with equal digests were tested on the same image)."""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Iterator, Mapping
from typing import Any

import torch


class ImageScoreRecorder:
    """Rows ``{"index": int, "digest": str, <metric>: float}``, in test order."""

    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = []

    def record(self, batch: Any, target: torch.Tensor, scores: Mapping[str, torch.Tensor]) -> None:
        """One batch: ``scores`` (name -> (B,)) of the images whose ``target`` (B, ...) is
        given; their indices from ``batch["index"]``, else their position in the test order."""
        values = {name: score.detach().float().cpu() for name, score in scores.items()}
        indices = batch.get("index") if isinstance(batch, Mapping) else None
        if indices is None:
            indices = torch.arange(len(self.rows), len(self.rows) + len(target))
        for row, index in enumerate(torch.as_tensor(indices).reshape(-1).tolist()):
            self.rows.append(
                {
                    "index": int(index),
                    "digest": target_digest(target[row]),
                    **{name: float(score[row]) for name, score in values.items()},
                }
            )


def target_digest(target: torch.Tensor) -> str:
    """A hash of one image's target rounded to 1/1000 (so that the last bits of a float
    computation on another device do not count)."""
    rounded = (target.detach().float() * 1000).round().to(torch.int64).cpu()
    return hashlib.sha1(rounded.numpy().tobytes()).hexdigest()[:16]


@contextlib.contextmanager
def recording_image_scores(task: Any) -> Iterator[list[dict[str, Any]]]:
    """Inside, ``task`` (an :class:`~colorization.tasks.base.ImageToImageTask`) records each
    test image's scores into the list yielded."""
    recorder = ImageScoreRecorder()
    task.image_score_recorder = recorder
    try:
        yield recorder.rows
    finally:
        task.image_score_recorder = None
