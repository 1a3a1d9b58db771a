"""Out-of-memory recovery by splitting a batch into smaller micro-batches.

When a training step runs out of memory, the same batch is retried in micro-batches of half
the size whose gradients are accumulated, so the effective batch (and the optimizer state, and
the position in the epoch) stay exactly as they were. Below a micro-batch of one sample there is
nothing left to split and a clear error stops the run.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import Callable

import torch

log = logging.getLogger(__name__)


def is_out_of_memory(error: BaseException) -> bool:
    """CUDA's ``OutOfMemoryError``, or the generic "out of memory" RuntimeError (MPS, CPU)."""
    if isinstance(error, torch.cuda.OutOfMemoryError):
        return True
    return isinstance(error, RuntimeError) and "out of memory" in str(error).lower()


def free_memory() -> None:
    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()


class OutOfMemoryRecovery:
    """Runs a step at the largest micro-batch that fits, halving it on each OOM.

    ``micro_batch`` remembers the size that last fitted, so later steps start there.
    """

    def __init__(self, enabled: bool = True) -> None:
        self.enabled = enabled
        self.micro_batch: int | None = None  # None: the whole batch
        self.events = 0

    def run(
        self,
        batch_size: int,
        step: Callable[[int], torch.Tensor],
        reset: Callable[[], None],
    ) -> torch.Tensor:
        """``step(micro_batch)`` on the batch; on OOM ``reset()`` (drop partial gradients),
        halve the micro-batch and retry the same batch."""
        while True:
            micro = min(self.micro_batch or batch_size, batch_size)
            try:
                return step(micro)
            except (RuntimeError, torch.cuda.OutOfMemoryError) as error:
                if not self.enabled or not is_out_of_memory(error):
                    raise
                del error
                reset()
                free_memory()
                if micro <= 1:
                    raise RuntimeError(
                        "Out of memory even with a micro-batch of 1 image. Lower "
                        "data.image_size or model.base_width, use trainer.precision=16-mixed "
                        "(or bf16-mixed), or a GPU with more memory."
                    ) from None
                self.micro_batch = micro // 2
                self.events += 1
                accumulation = -(-batch_size // self.micro_batch)
                log.warning(
                    "Out of memory at micro-batch %d: retrying the same batch as %d micro-batches "
                    "of %d with accumulated gradients (effective batch %d unchanged).",
                    micro,
                    accumulation,
                    self.micro_batch,
                    batch_size,
                )
