"""pix2pix's adversarial terms (Isola et al. 2017): a conditional PatchGAN judges
(condition, output) pairs; the generator is trained on ``GAN + lambda * reconstruction``.

Vanilla GAN loss on logits (``BCEWithLogits``, real = 1, fake = 0), the discriminator's loss
halved, as in pix2pix.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class ConditionalGAN(nn.Module):
    """Wraps the discriminator; its parameters are the second optimizer's."""

    def __init__(self, discriminator: nn.Module) -> None:
        super().__init__()
        self.discriminator = discriminator

    def _logits(self, condition: torch.Tensor, image: torch.Tensor) -> torch.Tensor:
        return self.discriminator(torch.cat([condition, image], dim=1))

    @staticmethod
    def _against(logits: torch.Tensor, real: bool) -> torch.Tensor:
        labels = torch.ones_like(logits) if real else torch.zeros_like(logits)
        return F.binary_cross_entropy_with_logits(logits.float(), labels.float())

    def discriminator_loss(
        self, condition: torch.Tensor, real: torch.Tensor, fake: torch.Tensor
    ) -> torch.Tensor:
        """``0.5 * (BCE(D(c, real), 1) + BCE(D(c, fake), 0))``; ``fake`` is detached here."""
        real_loss = self._against(self._logits(condition, real), True)
        fake_loss = self._against(self._logits(condition, fake.detach()), False)
        return 0.5 * (real_loss + fake_loss)

    def generator_loss(self, condition: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
        """``BCE(D(c, fake), 1)`` with the discriminator's weights frozen (no gradient to them)."""
        self.discriminator.requires_grad_(False)
        try:
            return self._against(self._logits(condition, fake), True)
        finally:
            self.discriminator.requires_grad_(True)
