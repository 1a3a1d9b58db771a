"""colorization.training.veto: a flagged step changes nothing, by each of the three routes."""

from __future__ import annotations

import pytest
import torch

from colorization.training.veto import clear_veto, supports_found_inf, veto_if_flagged


def stepped(optimizer_class, flagged: bool, loss_scaling: bool = False, **options):
    """Two steps of a 2-parameter model, the second vetoed if ``flagged``; returns the
    parameters and optimizer state before and after the second step."""
    torch.manual_seed(0)
    params = [torch.nn.Parameter(torch.randn(3, 2)), torch.nn.Parameter(torch.randn(2))]
    optimizer = optimizer_class(params, lr=0.1, **options)
    for p in params:
        p.grad = torch.randn_like(p)
    optimizer.step()
    before = [p.detach().clone() for p in params], optimizer.state_dict()
    for p in params:
        p.grad = torch.full_like(p, float("nan")) if flagged else torch.randn_like(p)
    veto_if_flagged(optimizer, torch.tensor(flagged), loss_scaling=loss_scaling)
    if not loss_scaling:
        optimizer.step()
    clear_veto(optimizer)
    return before, ([p.detach().clone() for p in params], optimizer.state_dict()), optimizer


def same_state(a: dict, b: dict) -> bool:
    return all(
        torch.equal(torch.as_tensor(a["state"][k][name]), torch.as_tensor(b["state"][k][name]))
        for k in a["state"]
        for name in a["state"][k]
    )


@pytest.mark.parametrize(
    ("optimizer_class", "options"),
    [
        (torch.optim.Adam, {"fused": True}),
        (torch.optim.AdamW, {"fused": True}),
        (torch.optim.SGD, {"fused": True, "momentum": 0.9}),
        (torch.optim.RMSprop, {}),  # no fused kernel: the verdict is read on the host
        (torch.optim.Adam, {}),
    ],
)
def test_a_flagged_step_leaves_weights_and_state_untouched(optimizer_class, options) -> None:
    (weights, state), (after, after_state), optimizer = stepped(optimizer_class, True, **options)
    assert all(torch.equal(a, b) for a, b in zip(weights, after, strict=True))
    assert same_state(state, after_state)
    assert not hasattr(optimizer, "found_inf")


@pytest.mark.parametrize("options", [{"fused": True}, {}])
def test_an_unflagged_step_is_an_ordinary_step(options) -> None:
    (weights, _), (after, _), _ = stepped(torch.optim.Adam, False, **options)
    assert not any(torch.equal(a, b) for a, b in zip(weights, after, strict=True))


def test_fused_optimizers_take_the_verdict_on_the_device() -> None:
    assert supports_found_inf(torch.optim.Adam([torch.nn.Parameter(torch.ones(1))], fused=True))
    assert not supports_found_inf(torch.optim.Adam([torch.nn.Parameter(torch.ones(1))]))
    assert not supports_found_inf(torch.optim.RMSprop([torch.nn.Parameter(torch.ones(1))]))


def test_under_loss_scaling_a_flagged_step_poisons_one_gradient_for_the_scaler() -> None:
    params = [torch.nn.Parameter(torch.ones(4, 4)), torch.nn.Parameter(torch.ones(4))]
    optimizer = torch.optim.SGD(params, lr=0.1)
    for p in params:
        p.grad = torch.ones_like(p)
    veto_if_flagged(optimizer, torch.tensor(False), loss_scaling=True)
    assert all(torch.isfinite(p.grad).all() for p in params)
    veto_if_flagged(optimizer, torch.tensor(True), loss_scaling=True)
    assert torch.isinf(params[1].grad).all()  # the smallest gradient: the scaler's check sees it
    assert torch.isfinite(params[0].grad).all()


def test_a_real_grad_scaler_skips_the_poisoned_step() -> None:
    param = torch.nn.Parameter(torch.ones(3))
    optimizer = torch.optim.SGD([param], lr=0.1)
    scaler = torch.amp.GradScaler("cpu", init_scale=4.0)
    scaler.scale((param * 2).sum()).backward()
    veto_if_flagged(optimizer, torch.tensor(True), loss_scaling=True)
    scaler.step(optimizer)
    scaler.update()
    assert torch.equal(param.detach(), torch.ones(3))
    assert scaler.get_scale() == 2.0  # backed off, as for any overflow
