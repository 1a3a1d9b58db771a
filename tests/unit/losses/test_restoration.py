"""colorization.losses.restoration: Charbonnier, SSIM and L1 + SSIM."""

from __future__ import annotations

import math

import pytest
import torch
from torchmetrics.functional.image import structural_similarity_index_measure

from colorization.losses import CharbonnierLoss, L1SSIMLoss, SSIMLoss


# --- losses --------------------------------------------------------------------------------
def test_restoration_losses() -> None:
    pred, target = torch.rand(2, 3, 32, 32, requires_grad=True), torch.rand(2, 3, 32, 32)
    assert CharbonnierLoss(1e-3)(target, target).item() == pytest.approx(1e-3)
    l1 = (pred - target).abs().mean()
    assert CharbonnierLoss(1e-3)(pred, target).item() == pytest.approx(l1.item(), abs=1e-3)
    assert SSIMLoss()(target, target).item() == pytest.approx(0, abs=1e-5)
    ssim = structural_similarity_index_measure(pred, target, data_range=1.0)
    combined = L1SSIMLoss(0.2)(pred, target)
    assert combined.item() == pytest.approx((l1 + 0.2 * (1 - ssim)).item(), rel=1e-5)
    combined.backward()
    assert pred.grad is not None and pred.grad.abs().sum() > 0
    with pytest.raises(ValueError, match="eps"):
        CharbonnierLoss(0)


def test_ssim_loss_is_computed_in_float32_under_autocast() -> None:
    clean = torch.rand(1, 3, 48, 48)
    noisy = (clean + 0.05 * torch.randn_like(clean)).clamp(0, 1)
    exact = SSIMLoss()(noisy, clean)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        under_autocast = SSIMLoss()(noisy, clean)
    assert under_autocast.item() == pytest.approx(exact.item(), abs=1e-5)


def test_the_psnr_loss_is_minus_the_psnr() -> None:
    from colorization.losses import PSNRLoss

    target = torch.rand(2, 3, 8, 8)
    pred = (target + 0.1).requires_grad_()
    mse = torch.nn.functional.mse_loss(pred, target)
    assert PSNRLoss()(pred, target).item() == pytest.approx(10 * math.log10(mse.item()), rel=1e-5)
    PSNRLoss()(pred, target).backward()
    assert pred.grad.abs().sum() > 0
    with pytest.raises(ValueError, match="eps"):
        PSNRLoss(0)
