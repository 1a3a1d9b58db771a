"""colorization.training.distributed: gradients averaged once per step, rank 0's buffers, every
rank's loss, in a real 2-process gloo group (and as no-ops in one process)."""

from __future__ import annotations

import math

import pytest
import torch
import torch.multiprocessing as mp
from distributed_workers import draws_after_seeding, free_port, model, rank_worker

from colorization.training import distributed
from colorization.training.distributed import (
    average_gradients,
    broadcast_buffers,
    gather_losses,
    smallest_over_ranks,
)
from colorization.training.guard import LossGuard
from colorization.training.verdicts import DeviceVerdicts


@pytest.fixture(scope="module")
def two_ranks(tmp_path_factory: pytest.TempPathFactory) -> list[dict]:
    out = tmp_path_factory.mktemp("ranks")
    mp.spawn(rank_worker, args=(free_port(), str(out)), nprocs=2, join=True)
    return [torch.load(out / f"rank{rank}.pt", weights_only=False) for rank in (0, 1)]


def test_gradients_are_the_mean_over_ranks_on_every_rank(two_ranks) -> None:
    expected = [None if p.grad is None else p.grad * 1.5 for p in model(0).parameters()]
    for result in two_ranks:
        assert result["world_size"] == 2
        for got, want in zip(result["grads"], expected, strict=True):
            if want is None:
                assert got is None
            else:
                assert got.dtype == want.dtype
                torch.testing.assert_close(got, want)


def test_every_rank_gets_rank_0s_buffers(two_ranks) -> None:
    for result in two_ranks:
        running_mean, _, num_batches_tracked = result["buffers"]
        assert torch.all(running_mean == 10) and num_batches_tracked.item() == 3


def test_every_rank_sees_every_loss_a_nan_stays_in_its_slot(two_ranks) -> None:
    for result in two_ranks:
        losses = result["losses"]
        assert losses[0].item() == 0.5 and math.isnan(losses[1].item())


def test_the_smallest_micro_batch_is_agreed(two_ranks) -> None:
    assert [result["smallest"] for result in two_ranks] == [5, 5]


def test_training_draws_differ_per_rank(two_ranks) -> None:
    first, second = (result["draws"] for result in two_ranks)
    assert all(a != b for a, b in zip(first, second, strict=True))


def test_in_one_process_nothing_is_communicated() -> None:
    module = model(0)
    before = [p.grad.clone() for p in module.parameters() if p.grad is not None]
    average_gradients(module.parameters())
    broadcast_buffers(module)
    after = [p.grad for p in module.parameters() if p.grad is not None]
    assert all(torch.equal(a, b) for a, b in zip(before, after, strict=True))
    assert gather_losses(torch.tensor(0.25)).tolist() == [0.25]
    assert smallest_over_ranks(7) == 7 and distributed.world_size() == 1
    assert draws_after_seeding() == draws_after_seeding()  # one process: the seed as given


def test_buckets_hold_one_dtype_and_stay_under_the_cap(monkeypatch) -> None:
    monkeypatch.setattr(distributed, "BUCKET_BYTES", 64)
    tensors = [torch.zeros(8), torch.zeros(8), torch.zeros(4, dtype=torch.float64), torch.zeros(40)]
    sizes = [[t.numel() for t in bucket] for bucket in distributed._buckets(tensors)]
    assert sizes == [[8, 8], [4], [40]]  # a tensor above the cap makes a bucket of its own


def test_one_verdict_for_all_ranks() -> None:
    """The guard judges every rank's loss: one bad rank flags the step for all; what it books
    is the mean, or the worst loss of a flagged step."""
    guard = LossGuard(spike_factor=5.0, warmup=1)
    verdicts = DeviceVerdicts(guard)
    assert not verdicts.judge(torch.tensor([1.0, 3.0]), 0)
    verdicts.read()
    assert list(guard.history) == [2.0]
    assert verdicts.judge(torch.tensor([1.0, 30.0]), 1)
    assert verdicts.judge(torch.tensor([1.0, math.nan]), 2)
    skipped, _ = verdicts.read()
    assert "loss 30 > 5 x running median 2" in skipped[0].reason
    assert "non-finite" in skipped[1].reason
