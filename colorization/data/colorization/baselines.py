"""Colorizations that need no learning, scored on exactly the hints a model gets (evaluate):

- ``no_color``: ab = 0, the grey photo.
- ``hint_mean``: every pixel gets the mean ab of the image's hints (0 without hints).
- ``levin``: Levin, Lischinski & Weiss 2004, "Colorization using Optimization": each pixel's
  chroma is the weighted mean of its 3 x 3 neighbours', weights falling with the difference in
  lightness, hinted pixels fixed; one sparse linear system per image and channel, solved by
  SciPy's sparse LU (the reference MATLAB code's ``getColorExact``: weights
  ``exp(-(Y_s - Y_r)^2 / s_r)`` with ``s_r`` 0.6 x the window's variance of Y, raised so that the
  most similar neighbour keeps weight >= 0.01, floored at 2e-6; Y = L / 100).

Each maps (lightness (B, 1, H, W), hint_ab (B, 2, H, W), mask (B, 1, H, W)), normalised as the
networks see them, to ab (B, 2, H, W).
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import scipy.sparse
import scipy.sparse.linalg
import torch

WINDOW_OFFSETS = [(dy, dx) for dy in (-1, 0, 1) for dx in (-1, 0, 1) if (dy, dx) != (0, 0)]
MIN_SPREAD = 2e-6


def no_color(lightness: torch.Tensor, hint_ab: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    return torch.zeros_like(hint_ab)


def hint_mean(lightness: torch.Tensor, hint_ab: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    counts = mask.sum(dim=(2, 3), keepdim=True)
    means = (hint_ab * mask).sum(dim=(2, 3), keepdim=True) / counts.clamp(min=1)
    return means.expand_as(hint_ab).clone()


def levin_weights(y: np.ndarray) -> scipy.sparse.csr_matrix:
    """(H*W, H*W) row-normalised affinities of each pixel to its 3 x 3 neighbours."""
    height, width = y.shape
    padded = np.pad(y, 1, constant_values=np.nan)
    neighbours = np.stack(
        [padded[1 + dy : 1 + dy + height, 1 + dx : 1 + dx + width] for dy, dx in WINDOW_OFFSETS]
    )  # (8, H, W), NaN outside the image
    window = np.concatenate([neighbours, y[None]])
    spread = np.nanvar(window, axis=0) * 0.6
    squared = (neighbours - y[None]) ** 2
    closest = np.nanmin(squared, axis=0)
    spread = np.maximum(np.maximum(spread, -closest / np.log(0.01)), MIN_SPREAD)
    weights = np.exp(-squared / spread[None])
    weights = np.nan_to_num(weights, nan=0.0)
    weights /= weights.sum(axis=0, keepdims=True)
    index = np.arange(height * width).reshape(height, width)
    padded_index = np.pad(index, 1, constant_values=-1)
    columns = np.stack(
        [
            padded_index[1 + dy : 1 + dy + height, 1 + dx : 1 + dx + width]
            for dy, dx in WINDOW_OFFSETS
        ]
    )
    rows = np.broadcast_to(index, columns.shape)
    valid = columns >= 0
    return scipy.sparse.csr_matrix(
        (weights[valid], (rows[valid], columns[valid])), shape=(height * width, height * width)
    )


def levin_image(y: np.ndarray, hint_ab: np.ndarray, hinted: np.ndarray) -> np.ndarray:
    """ab (2, H, W) for one image: Y (H, W) in [0, 1], hints (2, H, W), hinted (H, W) bool."""
    if not hinted.any():
        return np.zeros_like(hint_ab)
    size = y.size
    free = scipy.sparse.diags((~hinted).ravel().astype(np.float64))
    system = scipy.sparse.identity(size, format="csr") - free @ levin_weights(y)
    solve = scipy.sparse.linalg.splu(system.tocsc()).solve
    right = hint_ab.reshape(2, size) * hinted.ravel()
    return np.stack([solve(channel) for channel in right]).reshape(hint_ab.shape)


def levin(lightness: torch.Tensor, hint_ab: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    y = ((lightness.detach().double().cpu() + 1) / 2)[:, 0].numpy()
    hints = hint_ab.detach().double().cpu().numpy()
    hinted = mask.detach().cpu()[:, 0].numpy() > 0.5
    images = list(zip(y, hints, hinted, strict=True))
    # SuperLU releases the GIL while it factorises: one thread per core solves a batch faster.
    with ThreadPoolExecutor(max_workers=max(1, min(len(images), os.cpu_count() or 1))) as pool:
        result = np.stack(list(pool.map(lambda image: levin_image(*image), images)))
    return torch.from_numpy(result).to(hint_ab.device, hint_ab.dtype)


BASELINES = {"no_color": no_color, "hint_mean": hint_mean, "levin": levin}
