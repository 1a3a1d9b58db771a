"""The training epoch's order and draws: from (seed, epoch, sample) only, the same with or
without loader workers, and taken up where a checkpoint says the epoch stopped."""

from __future__ import annotations

import logging

import pytest
import torch
from torch.utils.data import Dataset, SequentialSampler

from colorization.data.sample_order import EpochOrder, SampleKey, SeededSamples, StatefulLoader
from colorization.seeds import derived_seed


class Draws(Dataset):
    """Item i: i and a draw from torch's global generator (as the datasets' crops are)."""

    def __init__(self, size: int) -> None:
        self.size = size

    def __len__(self) -> int:
        return self.size

    def __getitem__(self, index: int) -> dict[str, torch.Tensor | int]:
        return {"index": index, "draw": torch.rand(3)}


def loader(
    size: int = 20, batch: int = 3, workers: int = 0, seed: int = 7, **order
) -> StatefulLoader:
    dataset = Draws(size)
    sampler = EpochOrder(dataset, seed, **order)
    return StatefulLoader(
        SeededSamples(dataset),
        sampler=sampler,
        batch_size=batch,
        drop_last=True,
        num_workers=workers,
    )


def batches(data: StatefulLoader, epoch: int, count: int | None = None) -> list[dict]:
    data.sampler.set_epoch(epoch)
    taken = []
    for batch in data:
        taken.append(batch)
        if count is not None and len(taken) == count:
            break
    return taken


def same(first: list[dict], second: list[dict]) -> bool:
    return len(first) == len(second) and all(
        torch.equal(a["index"], b["index"]) and torch.equal(a["draw"], b["draw"])
        for a, b in zip(first, second, strict=True)
    )


def test_the_order_depends_on_the_seed_and_the_epoch_only() -> None:
    order = EpochOrder(Draws(10), seed=3)
    assert list(order.keys(0)) == list(EpochOrder(Draws(10), seed=3).keys(0))
    assert list(order.keys(0)) != list(order.keys(1))
    assert list(order.keys(0)) != list(EpochOrder(Draws(10), seed=4).keys(0))
    assert sorted(key.index for key in order.keys(0)) == list(range(10))
    assert list(order.keys(0, start=4)) == list(order.keys(0))[4:]
    # a sample's seed is its own: the same sample in the same epoch, whatever its position
    assert all(key.seed == derived_seed(3, 0, key.index) for key in order.keys(0))


def test_ranks_take_disjoint_even_shares_of_one_order() -> None:
    dataset = Draws(11)
    shares = [list(EpochOrder(dataset, 5, num_replicas=3, rank=rank).keys(2)) for rank in range(3)]
    assert [len(share) for share in shares] == [3, 3, 3]  # the two left over are left out
    indices = [key.index for share in shares for key in share]
    assert len(set(indices)) == 9
    whole = [key.index for key in EpochOrder(dataset, 5).keys(2)]
    assert [key.index for key in shares[1]] == whole[1:9:3]


def test_a_sample_is_made_from_its_own_seed_and_leaves_the_global_generator_alone() -> None:
    samples = SeededSamples(Draws(4))
    key = SampleKey(2, 99)
    torch.manual_seed(0)
    first = samples[key]["draw"]
    after = torch.rand(1)
    torch.manual_seed(0)
    torch.rand(5)  # whatever was drawn before
    assert torch.equal(samples[key]["draw"], first)
    torch.manual_seed(0)
    samples[key]
    assert torch.equal(torch.rand(1), after)
    assert not torch.equal(samples[SampleKey(2, 100)]["draw"], first)
    assert samples[1]["index"] == 1  # a plain index: the dataset as it is


def test_loader_workers_change_nothing_of_what_is_loaded() -> None:
    assert same(batches(loader(workers=0), 1), batches(loader(workers=2), 1))


@pytest.mark.parametrize("workers", [0, 2])
def test_a_loader_given_the_state_of_a_stopped_epoch_loads_the_rest_of_it(workers: int) -> None:
    whole = batches(loader(), 2)
    assert len(whole) == 6
    stopped = loader(workers=workers)
    before = batches(stopped, 2, count=4)
    state = stopped.state_dict()
    assert state["epoch"] == 2 and state["position"] == 12 and state["world_size"] == 1
    resumed = loader(workers=workers)
    resumed.load_state_dict(state)
    after = list(resumed)  # Lightning iterates before setting the epoch: the state set it
    assert same(before + after, whole)
    assert resumed.state_dict()["position"] == 18
    # a resumed loader starts the next epoch from its beginning
    assert same(batches(resumed, 3), batches(loader(), 3))
    # and a second resume within one epoch counts from where the first began
    again = loader()
    again.load_state_dict(resumed_after(state, 1))
    assert again.state_dict()["position"] == 15


def resumed_after(state: dict, batches_more: int) -> dict:
    data = loader()
    data.load_state_dict(state)
    iterator = iter(data)
    for _ in range(batches_more):
        next(iterator)
    return data.state_dict()


def test_a_state_of_another_epoch_does_not_shorten_this_one() -> None:
    data = loader()
    data.load_state_dict({**loader().state_dict(), "epoch": 1, "position": 9})
    data.sampler.set_epoch(2)  # e.g. the checkpoint ended epoch 1: Lightning goes on to 2
    assert same(list(data), batches(loader(), 2))


def test_a_state_at_the_end_of_its_epoch_resumes_at_the_next_one() -> None:
    """An epoch-end checkpoint: Lightning iterates the loader once for the next epoch before it
    sets the epoch, and goes on with that iterator."""
    stopped = loader()  # 20 samples, batches of 3: 6 batches, 2 samples left out
    assert len(batches(stopped, 4)) == 6
    assert stopped.state_dict()["position"] == 18
    resumed = loader()
    resumed.load_state_dict(stopped.state_dict())
    assert resumed.sampler.epoch == 5
    assert same(list(resumed), batches(loader(), 5))


def test_another_batch_size_or_number_of_ranks_resumes_at_the_same_share_and_says_so(
    caplog: pytest.LogCaptureFixture,
) -> None:
    stopped = loader(batch=3)
    batches(stopped, 0, count=2)
    state = stopped.state_dict()
    with caplog.at_level(logging.WARNING):
        bigger = loader(batch=4)
        bigger.load_state_dict(state)
        first = next(iter(bigger))
    assert torch.equal(
        first["index"], torch.tensor([k.index for k in loader().sampler.keys(0, start=6)][:4])
    )
    assert "not exactly" in caplog.text and "batches of 4, they were 3" in caplog.text
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        two_ranks = loader(num_replicas=2, rank=1)
        two_ranks.load_state_dict(state)
    assert "2 ranks share it, 1 did" in caplog.text
    assert two_ranks.sampler._resume == (0, 3)  # 6 samples seen: 3 of each rank's share
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        same_again = loader(batch=3)
        same_again.load_state_dict(state)
    assert caplog.text == ""


def test_a_resume_adopts_the_recorded_seed() -> None:
    stopped = loader(seed=11)
    batches(stopped, 0, count=1)
    resumed = loader(seed=12)  # e.g. a run with seed=null, which draws a new one
    resumed.load_state_dict(stopped.state_dict())
    assert same(list(resumed), batches(loader(seed=11), 0)[1:])


def test_with_another_sampler_it_is_a_plain_loader() -> None:
    dataset = SeededSamples(Draws(5))
    plain = StatefulLoader(dataset, sampler=SequentialSampler(dataset), batch_size=2)
    assert [batch["index"].tolist() for batch in plain] == [[0, 1], [2, 3], [4]]
    assert plain.state_dict() == {}
    plain.load_state_dict({})
