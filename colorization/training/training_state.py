"""Training state that Lightning does not checkpoint by itself: the random generators, the
micro-batch size that out-of-memory recovery settled on, and the loss guard's history.

Restoring the generators makes a resumed run draw the same crops and hints as an uninterrupted
one; restoring the micro-batch spares a resumed run the out-of-memory errors that found it.
"""

from __future__ import annotations

import random
from typing import Any

import numpy as np
import torch

from colorization.training.guard import LossGuard
from colorization.training.oom import OutOfMemoryRecovery


def capture_rng_states() -> dict[str, Any]:
    """The torch, CUDA, Python and NumPy generator states, as tensors and plain values (so a
    checkpoint loads with torch's safe ``weights_only`` unpickler)."""
    numpy_state = np.random.get_state()
    return {
        "torch": torch.get_rng_state(),
        "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
        "python": list(random.getstate()[1]),
        "numpy": {
            "keys": torch.from_numpy(numpy_state[1].astype(np.int64)),
            "pos": int(numpy_state[2]),
        },
    }


def restore_rng_states(states: dict[str, Any]) -> None:
    """Inverse of :func:`capture_rng_states`."""
    torch.set_rng_state(states["torch"])
    if states["cuda"] and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(states["cuda"])
    random.setstate((3, tuple(states["python"]), None))
    keys = states["numpy"]["keys"].numpy().astype(np.uint32)
    np.random.set_state(("MT19937", keys, states["numpy"]["pos"]))


def save_training_state(
    checkpoint: dict[str, Any], memory: OutOfMemoryRecovery, guard: LossGuard | None
) -> None:
    """Add the generators, the OOM micro-batch and the guard's state to ``checkpoint``."""
    checkpoint["rng_states"] = capture_rng_states()
    checkpoint["oom_micro_batch"] = memory.micro_batch
    if guard is not None:
        checkpoint["loss_guard"] = guard.state_dict()


def load_training_state(
    checkpoint: dict[str, Any], memory: OutOfMemoryRecovery, guard: LossGuard | None
) -> None:
    """Restore what :func:`save_training_state` added (checkpoints without it load as well)."""
    if checkpoint.get("rng_states"):
        restore_rng_states(checkpoint["rng_states"])
    memory.micro_batch = checkpoint.get("oom_micro_batch")
    if guard is not None and "loss_guard" in checkpoint:
        guard.load_state_dict(checkpoint["loss_guard"])
