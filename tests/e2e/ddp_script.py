"""Train a tiny binary segmentation model on fixed data, in one process or under Lightning's DDP
(gloo on CPU), and write what each rank ended with. Run by tests/e2e/test_ddp.py:

    python ddp_script.py OUT --devices 2 --batch-size 4 [--nan-at-step 2 --nan-rank 1]
        [--nan-steps 2 --checkpoints] [--oom-rank 1] [--norm instance|batch]
        [--accelerator gpu] [--strategy ddp]

Lightning's launcher starts this script again for each rank > 0, so it runs top to bottom on
every rank. The data has no randomness (no augmentation, no shuffling), so one process with a
batch of 8 and two with 4 each see the same images at every optimizer step.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import pytorch_lightning as pl
import torch
from torch.utils.data import DataLoader, Dataset, DistributedSampler

from colorization.callbacks.checkpoint import LastCheckpoint
from colorization.data.base import ImageDataModule
from colorization.losses import BCELoss
from colorization.models.unet import UNet
from colorization.tasks import SegmentationTask
from colorization.training.guard import LossGuard

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/: its helpers
from helpers import task_settings  # noqa: E402


class FixedScenes(Dataset):
    """``count`` seeded RGB images whose mask is the brighter half of the pixels."""

    def __init__(self, count: int, seed: int, size: int = 24) -> None:
        generator = torch.Generator().manual_seed(seed)
        self.images = (torch.rand(count, 3, size, size, generator=generator) * 255).to(torch.uint8)
        grey = self.images.float().mean(1)
        self.masks = (grey > grey.flatten(1).median(1).values[:, None, None]).long()

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        return {"image": self.images[index], "mask": self.masks[index], "index": index}


class FixedData(ImageDataModule):
    def __init__(self, batch_size: int, train: int = 16, val: int = 5) -> None:
        super().__init__(image_size=24, batch_size=batch_size, num_workers=0)
        self.train_count, self.val_count = train, val

    def setup(self, stage: str | None = None) -> None:
        self.train_set = FixedScenes(self.train_count, seed=0)
        self.val_set = FixedScenes(self.val_count, seed=1)

    def train_dataloader(self) -> DataLoader:
        """In order: rank r of N takes images r, r + N, ... (one process: all, in order)."""
        order = DistributedSampler(
            self.train_set, self.trainer.world_size, self.trainer.global_rank, shuffle=False
        )
        return DataLoader(self.train_set, self.hparams.batch_size, sampler=order)


class Injected(SegmentationTask):
    """A NaN loss on one rank at one step, or simulated out-of-memory errors on one rank."""

    nan_at_step: int | None = None
    nan_steps: int = 1
    nan_rank: int = 0

    def compute_loss(self, pred, target):
        loss = super().compute_loss(pred, target)
        start = self.nan_at_step
        hit = start is not None and start <= self.global_step < start + self.nan_steps
        injected = hit and self.global_rank == self.nan_rank
        return loss * float("nan") if self.training and injected else loss


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("out", type=Path)
    parser.add_argument("--devices", type=int, default=1)
    parser.add_argument("--accelerator", default="cpu")
    parser.add_argument("--strategy", default=None, help="default: ddp for several devices")
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--norm", default="instance")
    parser.add_argument("--nan-at-step", type=int, default=None)
    parser.add_argument("--nan-steps", type=int, default=1, help="NaN losses in a row")
    parser.add_argument("--nan-rank", type=int, default=0)
    parser.add_argument("--checkpoints", action="store_true", help="last.ckpt every step")
    parser.add_argument("--oom-rank", type=int, default=None)
    args = parser.parse_args()

    pl.seed_everything(0, verbose=False)
    net = UNet(in_channels=3, out_channels=1, base_width=4, depth=2, norm=args.norm)
    task = Injected(
        net,
        BCELoss(),
        lambda params: torch.optim.SGD(params, lr=0.05, momentum=0.9),
        loss_guard=LossGuard(warmup=1000, max_consecutive=2),  # 2 bad steps: reload
        **task_settings("segmentation", num_classes=2),
    )
    task.nan_at_step, task.nan_steps, task.nan_rank = (
        args.nan_at_step,
        args.nan_steps,
        args.nan_rank,
    )
    saving = [LastCheckpoint(str(args.out / "checkpoints"), every_n_train_steps=1)]
    trainer = pl.Trainer(
        accelerator=args.accelerator,
        devices=args.devices,
        strategy=args.strategy or ("ddp" if args.devices > 1 else "auto"),
        max_epochs=args.epochs,
        logger=False,
        enable_checkpointing=args.checkpoints,
        callbacks=saving if args.checkpoints else None,
        enable_progress_bar=False,
        enable_model_summary=False,
        num_sanity_val_steps=0,
        log_every_n_steps=1,
    )
    if args.oom_rank is not None and trainer.global_rank == args.oom_rank:
        task.simulate_oom_above = 1  # every batch of this rank is re-split down to 1 image
    trainer.fit(task, datamodule=FixedData(args.batch_size))
    rank = trainer.global_rank
    args.out.mkdir(parents=True, exist_ok=True)
    torch.save(task.state_dict(), args.out / f"rank{rank}.pt")
    metrics = {k: float(v) for k, v in trainer.callback_metrics.items()}
    summary = {
        "global_step": trainer.global_step,
        "world_size": trainer.world_size,
        "skipped": task.loss_guard.skipped,
        "micro_batch": task.memory.micro_batch,
        "lr": task.optimizers().optimizer.param_groups[0]["lr"],
        "metrics": metrics,
    }
    (args.out / f"rank{rank}.json").write_text(json.dumps(summary))


if __name__ == "__main__":
    main()
