"""Print the model zoo: parameters, GFLOPs per image and CPU train-step time.

python -m colorization.models                   # 128x128, 4 -> 2 channels (colorization)
python -m colorization.models --size 224 --in-channels 3 --out-channels 1
python -m colorization.models --reference      # parameter parity with the references
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence

import torch
from torch.utils.flop_counter import FlopCounterMode

from colorization.models import zoo


def forward_gflops(model: torch.nn.Module, example: torch.Tensor) -> float:
    """GFLOPs of one forward pass on ``example`` (one image), by torch's FLOP counter."""
    model.eval()
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        model(example)
    return counter.get_total_flops() / 1e9


def train_step_ms_per_image(
    model: torch.nn.Module, batch: torch.Tensor, out_channels: int, steps: int
) -> float:
    """Wall time of a full training step (forward, L1 loss, backward, Adam), per image."""
    model.train()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-4)
    target = torch.zeros(batch.shape[0], out_channels, *batch.shape[2:])

    def step() -> None:
        output = model(batch)
        outputs = output if isinstance(output, list) else [output]
        loss = torch.stack([(o - target).abs().mean() for o in outputs]).mean()
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()

    step()  # warm-up
    start = time.perf_counter()
    for _ in range(steps):
        step()
    return (time.perf_counter() - start) * 1000 / (steps * batch.shape[0])


def zoo_table(args: argparse.Namespace) -> None:
    torch.manual_seed(0)
    size, cin, cout = args.size, args.in_channels, args.out_channels
    print(
        f"{size}x{size}, {cin} -> {cout} channels, default YAML settings, "
        f"train step: batch {args.batch}, {torch.get_num_threads()} CPU threads"
    )
    print("| model | parameters | GFLOPs/image (forward) | train ms/image (CPU) |")
    print("|---|---:|---:|---:|")
    for name in args.models or zoo.model_names():
        model = zoo.build_model(name, cin, cout)
        gflops = forward_gflops(model, torch.randn(1, cin, size, size))
        batch = torch.randn(args.batch, cin, size, size)
        ms = train_step_ms_per_image(model, batch, cout, args.steps)
        library = zoo.wrapped_library(name)
        shown = f"`{name}` ({library})" if library else f"`{name}`"
        print(f"| {shown} | {zoo.count_parameters(model):,} | {gflops:.2f} | {ms:.0f} |")


def reference_table() -> None:
    print("| preset | settings (3 -> 1 channels unless given) | parameters | reference |")
    print("|---|---|---:|---:|")
    for name, (model, settings, expected) in zoo.REFERENCE_PRESETS.items():
        count = zoo.count_parameters(zoo.build_reference(name))
        shown = ", ".join(f"{k}={v}" for k, v in settings.items())
        mark = "" if count == expected else "  MISMATCH"
        library = zoo.wrapped_library(model)
        label = f"`{name}` (model={model}, {library})" if library else f"`{name}`"
        print(f"| {label} | {shown} | {count:,} | {expected:,}{mark} |")


# Largest values the table measures at: a 4096 px batch of 16 already needs tens of GB of
# activations; --size 100000 asked for 160 GB for the input alone.
LIMITS = {"size": 4096, "in_channels": 64, "out_channels": 512, "batch": 256, "steps": 1000}


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m colorization.models", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--size", type=int, default=128)
    parser.add_argument("--in-channels", type=int, default=4)
    parser.add_argument("--out-channels", type=int, default=2)
    parser.add_argument("--batch", type=int, default=2)
    parser.add_argument("--steps", type=int, default=2, help="timed training steps per model")
    parser.add_argument("--models", nargs="*", help="subset of model names (default: all)")
    parser.add_argument("--reference", action="store_true", help="reference parity table")
    args = parser.parse_args(argv)
    for option in ("size", "in_channels", "out_channels", "batch", "steps"):
        value, most = getattr(args, option), LIMITS[option]
        if not 1 <= value <= most:
            parser.error(f"--{option.replace('_', '-')} must be within 1-{most}, got {value}")
    known = zoo.model_names() + sorted(zoo.model_aliases())
    unknown = [name for name in args.models or () if name not in known]
    if unknown:
        parser.error(f"--models: unknown {', '.join(unknown)}; choose from {', '.join(known)}")
    if args.reference:
        reference_table()
    else:
        zoo_table(args)


if __name__ == "__main__":
    main()
