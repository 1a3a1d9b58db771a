"""Image-restoration losses (flare removal, super-resolution; any regression task): Charbonnier,
SSIM, L1 + SSIM, negative PSNR.

L1 and MSE are torch's own (``conf/loss/l1.yaml``, ``mse.yaml``). SSIM is torchmetrics'
(Gaussian window 11, sigma 1.5: the metric the task reports), computed in float32 outside
autocast: in half precision its variance terms cancel out.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from torchmetrics.functional.image import structural_similarity_index_measure


class CharbonnierLoss(nn.Module):
    """``mean(sqrt((pred - target)^2 + eps^2))``: L1 that is smooth at zero (Lai et al. 2017,
    used by most restoration networks).

    Written here rather than taken from kornia: ``kornia.losses.CharbonnierLoss`` is Barron's
    ``sqrt(d^2 + 1) - 1`` with scale 1, which for residuals in [0, 1] behaves like MSE / 2, not
    like the L1-like loss the restoration literature means.
    """

    def __init__(self, eps: float = 1e-3) -> None:
        super().__init__()
        if eps <= 0:
            raise ValueError(f"loss.eps must be > 0, got {eps}.")
        self.eps = eps

    def forward(self, pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        difference = pred.float() - target.float()
        return torch.sqrt(difference**2 + self.eps**2).mean()


class SSIMLoss(nn.Module):
    """``1 - SSIM(pred, target)`` for images in [0, ``data_range``]."""

    def __init__(self, data_range: float = 1.0) -> None:
        super().__init__()
        self.data_range = data_range

    def forward(self, pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        # Autocast would run SSIM's Gaussian filtering in bf16/fp16, where its variance terms
        # (E[x^2] - E[x]^2) cancel catastrophically (SSIM far below its float32 value).
        with torch.autocast(pred.device.type, enabled=False):
            ssim = structural_similarity_index_measure(
                pred.float(), target.float(), data_range=self.data_range
            )
        return 1 - ssim


class L1SSIMLoss(nn.Module):
    """``L1 + ssim_weight * (1 - SSIM)``: per-pixel fidelity plus local structure."""

    def __init__(self, ssim_weight: float = 0.2, data_range: float = 1.0) -> None:
        super().__init__()
        if ssim_weight < 0:
            raise ValueError(f"loss.ssim_weight must be >= 0, got {ssim_weight}.")
        self.ssim_weight = ssim_weight
        self.ssim = SSIMLoss(data_range)

    def forward(self, pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        l1 = F.l1_loss(pred.float(), target.float())
        return l1 + self.ssim_weight * self.ssim(pred, target)


class PSNRLoss(nn.Module):
    """``-PSNR(pred, target)`` in dB for images in [0, 1]: ``10 log10(MSE + eps)``. MSE on a log
    scale: the gradient grows as the error shrinks (the seed project of the super-resolution
    task trained with it beside MSE)."""

    def __init__(self, eps: float = 1e-8) -> None:
        super().__init__()
        if eps <= 0:
            raise ValueError(f"loss.eps must be > 0, got {eps}.")
        self.eps = eps

    def forward(self, pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        mse = F.mse_loss(pred.float(), target.float())
        return 10 * torch.log10(mse + self.eps)
