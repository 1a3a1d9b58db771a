"""What the training step does when it runs in several processes (Lightning's ``ddp`` strategy).

Lightning wraps the task in PyTorch's ``DistributedDataParallel`` (DDP), whose reducer averages
gradients *inside* each backward pass, bucket by bucket, as gradients become ready. That is
fast, but it makes every backward pass a collective: each rank must run the same number of them
per step. Out-of-memory recovery breaks that rule on purpose: the rank that ran out of memory
retries its batch as several smaller backward passes while the others have already finished,
and the job would hang (or average the wrong gradients). So the task turns the reducer off and
does what ``DistributedDataParallel.no_sync`` documents for gradient accumulation, in full:

- every backward pass accumulates gradients locally, however many micro-batches a rank needed;
- :func:`average_gradients` averages them once per optimizer step (flattened into buckets, one
  ``all_reduce`` each), so the number of collectives per step never depends on the split;
- :func:`broadcast_buffers` then hands rank 0's buffers (BatchNorm statistics) to every rank,
  as DDP does before each forward pass, so every rank validates the same model.

The loss guard needs every rank's loss to reach one verdict: :func:`gather_losses` collects
them on the device, without a host read. Everything here is a no-op in a single process.
The cost, stated in docs/scale-out.md: gradient communication no longer overlaps the backward
pass. Reference: Li et al. 2020, "PyTorch Distributed: Experiences on Accelerating Data Parallel
Training" (VLDB), for the reducer this replaces.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel

# The bucket size DDP uses by default (``bucket_cap_mb=25``).
BUCKET_BYTES = 25 * 2**20


def world_size() -> int:
    """Processes training together (1 outside a process group)."""
    return dist.get_world_size() if dist.is_available() and dist.is_initialized() else 1


def rank() -> int:
    return dist.get_rank() if world_size() > 1 else 0


def disable_reducer(model: nn.Module) -> None:
    """Stop DDP's reducer from averaging gradients inside backward passes (see the module
    docstring); :func:`average_gradients` does it once per step instead. The flag is the one
    ``DistributedDataParallel.no_sync`` sets."""
    if isinstance(model, DistributedDataParallel):
        model.require_backward_grad_sync = False


def _buckets(tensors: list[torch.Tensor]) -> Iterable[list[torch.Tensor]]:
    """Consecutive tensors of one dtype and device, each group at most :data:`BUCKET_BYTES`
    (a single larger tensor makes a bucket of its own)."""
    bucket: list[torch.Tensor] = []
    size = 0
    for tensor in tensors:
        nbytes = tensor.numel() * tensor.element_size()
        same_kind = not bucket or (
            bucket[0].dtype == tensor.dtype and bucket[0].device == tensor.device
        )
        if bucket and (not same_kind or size + nbytes > BUCKET_BYTES):
            yield bucket
            bucket, size = [], 0
        bucket.append(tensor)
        size += nbytes
    if bucket:
        yield bucket


def _in_buckets(tensors: list[torch.Tensor], collective: Callable[[torch.Tensor], None]) -> None:
    """Run ``collective`` on the tensors flattened into :func:`_buckets` (one call per bucket)
    and copy the results back into them."""
    for bucket in _buckets(tensors):
        flat = torch.cat([tensor.reshape(-1) for tensor in bucket])
        collective(flat)
        offset = 0
        for tensor in bucket:
            tensor.copy_(flat[offset : offset + tensor.numel()].view_as(tensor))
            offset += tensor.numel()


def average_gradients(parameters: Iterable[nn.Parameter]) -> None:
    """Replace each gradient by its mean over the ranks (asynchronously on the device: the host
    does not wait). Parameters without a gradient are left out; every rank must have gradients
    for the same parameters, as DDP also requires."""
    size = world_size()
    if size == 1:
        return

    def mean(flat: torch.Tensor) -> None:
        dist.all_reduce(flat)
        flat.div_(size)

    _in_buckets([p.grad for p in parameters if p.grad is not None], mean)


def broadcast_buffers(module: nn.Module) -> None:
    """Give every rank rank 0's buffers (BatchNorm running statistics, counters)."""
    if world_size() == 1:
        return
    buffers = [buffer for buffer in module.buffers() if buffer.numel()]
    _in_buckets(buffers, lambda flat: dist.broadcast(flat, src=0))


def gather_losses(loss: torch.Tensor) -> torch.Tensor:
    """Every rank's ``loss`` as a vector indexed by rank (``loss`` itself, as a vector of one,
    in a single process). On the device: each rank fills its own slot of a zero vector and one
    ``all_reduce`` sums them (NaN and inf stay in their slot)."""
    loss = loss.detach().float().reshape(1)
    size = world_size()
    if size == 1:
        return loss
    slots = torch.arange(size, device=loss.device) == rank()
    losses = torch.where(slots, loss, torch.zeros((), device=loss.device))
    dist.all_reduce(losses)
    return losses


def smallest_over_ranks(value: int) -> int:
    """The smallest of every rank's ``value`` (one collective and one host read: call it where
    the host reads anyway, at logging steps)."""
    if world_size() == 1:
        return value
    backend_device = "cuda" if dist.get_backend() == "nccl" else "cpu"
    tensor = torch.tensor([value], device=backend_device)
    dist.all_reduce(tensor, op=dist.ReduceOp.MIN)
    return int(tensor.item())
