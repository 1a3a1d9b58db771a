"""The random generators of one training batch, seeded from (run seed, epoch, batch, rank).

Everything a training step draws from the global generators (hints, hue rotations, the noise of
denoising, dropout, the discriminator's inputs) then depends on which batch it is, not on what
was drawn before it: a resumed run draws what the uninterrupted run drew, whatever its loader
workers, validation or checkpoint writes consumed meanwhile, and DDP ranks draw differently.
"""

from __future__ import annotations

import random

import numpy as np
import torch

from colorization.seeds import derived_seed
from colorization.training.distributed import rank


def seed_step(seed: int, epoch: int, batch: int) -> None:
    """Seed torch (CPU and every CUDA device), Python's and NumPy's global generators."""
    step = derived_seed(seed, "step", epoch, batch, rank())
    torch.manual_seed(step)
    random.seed(step)
    np.random.seed(step % 2**32)
