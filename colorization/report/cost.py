"""A network's size and cost: parameters and GFLOPs of one forward pass at the run's image size
(``torch.utils.flop_counter``, which counts a multiply-add as two FLOPs)."""

from __future__ import annotations

import torch
from omegaconf import OmegaConf
from torch.utils.flop_counter import FlopCounterMode

from colorization.build import build_task
from colorization.trained.run import TrainedRun


def parameters_and_gflops(run: TrainedRun) -> tuple[int, float]:
    task = build_task(run.config, pretrained=False, compile=False, channels_last=False).eval()
    net = task.net
    parameters = sum(p.numel() for p in net.parameters())
    size = int(OmegaConf.select(run.config, "data.image_size", default=128))
    inputs = torch.zeros(1, task.hparams.in_channels, size, size)
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        net(inputs)
    return parameters, counter.get_total_flops() / 1e9
