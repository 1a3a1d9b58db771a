"""Train the decoder alone for the first epochs, then the pretrained encoder too: the usual way
to fine-tune an ImageNet encoder, so that the random decoder's first large gradients do not
wreck the features it brings (Howard & Ruder, "Universal Language Model Fine-tuning", ACL 2018,
gradual unfreezing; the smp and timm fine-tuning recipes).

The network says how many epochs (``freeze_encoder_epochs``) and how (``freeze_encoder`` /
``unfreeze_encoder``: weights and normalisation statistics); networks without them are left
alone. The state follows from the epoch number, so a resumed run freezes exactly as the first.
Frozen parameters keep no gradient, and the optimizer skips parameters without one.
"""

from __future__ import annotations

import pytorch_lightning as pl
from pytorch_lightning.utilities import rank_zero_info


class EncoderFreezing(pl.Callback):
    def __init__(self) -> None:
        self.frozen: bool | None = None

    def on_train_epoch_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        net = getattr(pl_module, "net", None)
        epochs = int(getattr(net, "freeze_encoder_epochs", 0) or 0)
        if not epochs or not hasattr(net, "freeze_encoder"):
            return
        frozen = trainer.current_epoch < epochs
        if frozen == self.frozen:
            return
        if frozen:
            net.freeze_encoder()
            rank_zero_info(f"Encoder frozen for the first {epochs} epochs (freeze_encoder_epochs).")
        else:
            net.unfreeze_encoder()
            rank_zero_info(f"Encoder unfrozen at epoch {trainer.current_epoch}: it trains too.")
        self.frozen = frozen
