"""What each rank of tests/unit/tasks/test_distributed.py runs, in a module the spawned
processes can import (``tests/`` is on the path; test modules themselves are not importable)."""

from __future__ import annotations

import math
import random
import socket
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist
from torch import nn

from colorization.training import distributed
from colorization.training.distributed import (
    average_gradients,
    broadcast_buffers,
    gather_losses,
    smallest_over_ranks,
)
from colorization.training.step_seeds import seed_step


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def model(rank: int) -> nn.Module:
    """Parameters of two dtypes; gradients and buffers that differ per rank."""
    module = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 2))
    module[2].double()
    for index, parameter in enumerate(module.parameters()):
        parameter.grad = torch.full_like(parameter, float(rank + 1) * (index + 1))
    module[2].bias.grad = None  # a parameter without gradient is left alone
    module[1].running_mean.fill_(rank + 10)
    module[1].num_batches_tracked.fill_(rank + 3)
    return module


def draws_after_seeding() -> list[float]:
    """What a rank draws in the same training step of the same run (:func:`seed_step`)."""
    seed_step(seed=0, epoch=1, batch=2)
    return [*torch.rand(2).tolist(), float(np.random.rand()), random.random()]


def rank_worker(rank: int, port: int, out: str) -> None:
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=2)
    try:
        distributed.BUCKET_BYTES = 40  # several buckets, as large models have
        module = model(rank)
        average_gradients(module.parameters())
        broadcast_buffers(module)
        loss = torch.tensor(math.nan if rank == 1 else 0.5)
        result = {
            "grads": [None if p.grad is None else p.grad.clone() for p in module.parameters()],
            "buffers": [b.clone() for b in module.buffers()],
            "losses": gather_losses(loss),
            "smallest": smallest_over_ranks(8 - 3 * rank),
            "draws": draws_after_seeding(),
            "world_size": distributed.world_size(),
        }
        torch.save(result, Path(out) / f"rank{rank}.pt")
    finally:
        dist.destroy_process_group()
