"""Per-pixel classification losses on logits (segmentation): Dice, BCE, BCE + Dice,
cross-entropy, focal.

Binary tasks use one output channel (a logit, sigmoid), multiclass tasks one channel per class
(softmax). Targets are class indices (B, H, W); pixels equal to ``ignore_index`` count nowhere.
Dice is the soft Dice on probabilities (never boolean arithmetic, which gives Dice > 1 or 1 on
empty masks in some public code), computed over the whole batch with smoothing ``eps`` so an
empty mask predicted empty scores a loss of 0.

Each loss checks at construction time (:meth:`ClassificationLoss.check_task`) that it fits the
task's outputs, so ``loss=bce`` on a 4-class task fails at start with the fix in the message.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from torchvision.ops import sigmoid_focal_loss


class ClassificationLoss(nn.Module):
    """Shared target handling. ``kind`` tells the task what targets the loss expects."""

    kind = "classification"
    config_name = ""  # its conf/loss option, for messages
    binary_only = False
    multiclass_only = False

    def __init__(self, ignore_index: int | None = None) -> None:
        super().__init__()
        self.ignore_index = ignore_index

    def check_task(self, out_channels: int) -> None:
        """Raise if the loss cannot train a net with ``out_channels`` outputs."""
        if self.binary_only and out_channels != 1:
            raise ValueError(
                f"loss={self.config_name} is for binary segmentation (1 output channel), but "
                f"the task has {out_channels} classes. Use loss=ce, loss=dice or loss=focal."
            )
        if self.multiclass_only and out_channels == 1:
            raise ValueError(
                f"loss={self.config_name} needs one output channel per class, but the task is "
                "binary (task.num_classes=2, 1 output channel). Use loss=bce, loss=bce_dice or "
                "loss=dice."
            )

    def valid(self, target: torch.Tensor) -> torch.Tensor:
        """(B, H, W) bool: pixels that count."""
        if self.ignore_index is None:
            return torch.ones_like(target, dtype=torch.bool)
        return target != self.ignore_index

    def probabilities_and_onehot(
        self, logits: torch.Tensor, target: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(probabilities, one-hot target, valid mask), all (B, C, H, W), ignored pixels zero."""
        valid = self.valid(target).unsqueeze(1)
        safe = torch.where(valid.squeeze(1), target, torch.zeros_like(target))
        if logits.shape[1] == 1:
            probs = torch.sigmoid(logits.float())
            onehot = safe.unsqueeze(1).float()
        else:
            probs = torch.softmax(logits.float(), dim=1)
            onehot = F.one_hot(safe, logits.shape[1]).permute(0, 3, 1, 2).float()
        mask = valid.float()
        return probs * mask, onehot * mask, mask


class DiceLoss(ClassificationLoss):
    """1 - soft Dice, averaged over classes (multiclass) or of the foreground (binary)."""

    config_name = "dice"

    def __init__(self, ignore_index: int | None = None, eps: float = 1.0) -> None:
        super().__init__(ignore_index)
        self.eps = eps

    def forward(self, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        probs, onehot, _ = self.probabilities_and_onehot(logits, target)
        dims = (0, 2, 3)
        intersection = (probs * onehot).sum(dims)
        total = probs.sum(dims) + onehot.sum(dims)
        dice = (2 * intersection + self.eps) / (total + self.eps)
        return 1 - dice.mean()


class BCELoss(ClassificationLoss):
    """Binary cross-entropy on the logit (``BCEWithLogits``: stable, unlike sigmoid + BCE)."""

    config_name = "bce"

    binary_only = True

    def forward(self, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        valid = self.valid(target).unsqueeze(1).float()
        losses = F.binary_cross_entropy_with_logits(
            logits.float(), (target.unsqueeze(1) == 1).float(), reduction="none"
        )
        return (losses * valid).sum() / valid.sum().clamp_min(1)


class BCEDiceLoss(ClassificationLoss):
    """``bce_weight`` * BCE + ``dice_weight`` * (1 - Dice): the UNet++ reference's loss."""

    config_name = "bce_dice"

    binary_only = True

    def __init__(
        self, ignore_index: int | None = None, bce_weight: float = 0.5, dice_weight: float = 1.0
    ) -> None:
        super().__init__(ignore_index)
        self.bce, self.dice = BCELoss(ignore_index), DiceLoss(ignore_index)
        self.bce_weight, self.dice_weight = bce_weight, dice_weight

    def forward(self, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return self.bce_weight * self.bce(logits, target) + self.dice_weight * self.dice(
            logits, target
        )


class CrossEntropyLoss(ClassificationLoss):
    """Multiclass cross-entropy (optionally class-weighted), ignoring ``ignore_index``."""

    config_name = "ce"

    multiclass_only = True

    def __init__(
        self, ignore_index: int | None = None, class_weights: list[float] | None = None
    ) -> None:
        super().__init__(ignore_index)
        weights = torch.tensor(class_weights, dtype=torch.float32) if class_weights else None
        self.register_buffer("class_weights", weights, persistent=False)

    def forward(self, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        ignore = -100 if self.ignore_index is None else self.ignore_index
        return F.cross_entropy(
            logits.float(), target, weight=self.class_weights, ignore_index=ignore
        )


class FocalLoss(ClassificationLoss):
    """Focal loss (Lin et al. 2017): sigmoid focal for binary (torchvision), softmax focal
    ``-alpha (1 - p_t)^gamma log p_t`` for multiclass."""

    config_name = "focal"

    def __init__(
        self, ignore_index: int | None = None, gamma: float = 2.0, alpha: float | None = 0.25
    ) -> None:
        super().__init__(ignore_index)
        self.gamma, self.alpha = gamma, alpha

    def forward(self, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        valid = self.valid(target)
        safe = torch.where(valid, target, torch.zeros_like(target))
        if logits.shape[1] == 1:
            losses = sigmoid_focal_loss(
                logits.float(),
                safe.unsqueeze(1).float(),
                alpha=self.alpha or -1,
                gamma=self.gamma,
                reduction="none",
            ).squeeze(1)
        else:
            log_p = F.log_softmax(logits.float(), dim=1).gather(1, safe.unsqueeze(1)).squeeze(1)
            losses = -((1 - log_p.exp()) ** self.gamma) * log_p
            if self.alpha is not None:
                losses = self.alpha * losses
        valid = valid.float()
        return (losses * valid).sum() / valid.sum().clamp_min(1)
