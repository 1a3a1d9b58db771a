"""The search space: Hydra's sweep syntax to Optuna distributions, checked before any trial."""

from __future__ import annotations

import optuna.distributions as dist
import pytest
from omegaconf import OmegaConf

from colorization.errors import UserError
from colorization.search.space import as_override_value, parse_space

CONFIG = OmegaConf.create(
    {
        "optimizer": {"lr": 0.001},
        "model": {"depth": 4},
        "data": {"batch_size": 8},
        "hydra": {"runtime": {"choices": {"optimizer": "adam", "loss": "l1"}}},
    }
)
OPTIONS = {"optimizer": ["adam", "adamw", "rmsprop", "sgd"], "loss": ["l1", "mse"]}


def parse(params: dict, arguments: list[str] | None = None):
    return parse_space(params, arguments or [], CONFIG, OPTIONS.__getitem__)


def test_every_kind_of_dimension() -> None:
    space, plain = parse(
        {
            "optimizer.lr": "tag(log, interval(1e-4, 1e-3))",
            "model.depth": "int(interval(3, 5))",
            "data.batch_size": "range(4, 17, step=4)",
            "optimizer": "choice(adam, sgd)",
            "loss": "l1",
        },
        ["seed=3", "+trainer.limit_train_batches=2"],
    )
    d = space.distributions
    assert d["optimizer.lr"] == dist.FloatDistribution(1e-4, 1e-3, log=True)
    assert d["model.depth"] == dist.IntDistribution(3, 5)
    assert d["data.batch_size"] == dist.IntDistribution(4, 16, step=4)
    assert d["optimizer"] == dist.CategoricalDistribution(["adam", "sgd"])
    assert space.fixed == {"loss": "l1"}
    assert plain == ["seed=3", "+trainer.limit_train_batches=2"]


def test_group_choices_come_before_their_keys() -> None:
    space, _ = parse({"optimizer.lr": "interval(0.1, 0.2)", "optimizer": "choice(sgd)"})
    overrides = space.overrides({"optimizer.lr": 0.15, "optimizer": "sgd"})
    assert overrides == ["optimizer=sgd", "optimizer.lr=0.15"]


def test_a_sweep_on_the_command_line_joins_the_space() -> None:
    space, plain = parse({"optimizer.lr": "interval(0.1, 0.2)"}, ["loss=l1,mse", "seed=1"])
    assert space.distributions["loss"] == dist.CategoricalDistribution(["l1", "mse"])
    assert plain == ["seed=1"]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"optimizer.lrr": "interval(0.1, 0.2)"}, "'optimizer.lrr' is not a key"),
        ({"optimizer": "choice()"}, "empty choice is not legal"),
        ({"optimizer": "choice(adam, sgdd)"}, "sgdd is not an option of config group optimizer"),
        ({"optimizer.lr": "tag(log, interval(0, 1))"}, "low > 0 on a log scale"),
        ({"optimizer.lr": "interval(0.2, 0.1)"}, "needs low < high"),
        ({"optimizer.lr": "0.1"}, "The search space is empty"),
    ],
)
def test_bad_spaces_stop_with_the_key_and_the_fix(params: dict, message: str) -> None:
    with pytest.raises(UserError, match=message):
        parse(params)


def test_a_plain_value_on_the_command_line_pins_a_dimension() -> None:
    space, plain = parse(
        {"loss": "choice(l1, mse)", "optimizer.lr": "interval(0.1, 0.2)"}, ["loss=l1"]
    )
    assert list(space.distributions) == ["optimizer.lr"]
    assert plain == ["loss=l1"]


def test_new_keys_need_a_plus() -> None:
    space, _ = parse({"+model.extra": "choice(1, 2)"})
    assert "+model.extra" in space.distributions


@pytest.mark.parametrize(
    ("value", "written"),
    [(None, "null"), (True, "true"), (0.5, "0.5"), ("adam", "adam"), ("a b", "'a b'")],
)
def test_sampled_values_are_written_back_as_override_values(value, written: str) -> None:
    assert as_override_value(value) == written
