"""Classical denoisers scored beside a model on exactly its noisy images (``evaluate``).

- ``nlm``: non-local means (Buades, Coll & Morel, CVPR 2005), scikit-image's fast version with
  its own noise estimate (``estimate_sigma``) and the settings of scikit-image's gallery example
  (5x5 patches, 13x13 search window, ``h = 0.8 sigma``): it is not told the true level.
- ``bm3d``: BM3D (Dabov et al., IEEE TIP 2007; CBM3D for colour), the published baseline of the
  denoising papers, given the true level. It comes from the ``bm3d`` package, which is not a
  dependency (its licence does not allow commercial use): ``pip install bm3d`` to score it.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch


def non_local_means(noisy: np.ndarray, sigma: float) -> np.ndarray:
    from skimage.restoration import denoise_nl_means, estimate_sigma

    estimate = float(np.mean(estimate_sigma(noisy, channel_axis=-1)))
    return denoise_nl_means(
        noisy,
        h=0.8 * estimate,
        sigma=estimate,
        fast_mode=True,
        patch_size=5,
        patch_distance=6,
        channel_axis=-1,
    )


def block_matching_3d(noisy: np.ndarray, sigma: float) -> np.ndarray:
    try:
        import bm3d
    except ImportError:
        raise ValueError(
            "The bm3d baseline needs the bm3d package (not installed with this framework: its "
            "licence does not allow commercial use): pip install bm3d, or leave bm3d out of "
            "--baselines."
        ) from None
    if noisy.shape[-1] == 3:
        return bm3d.bm3d_rgb(noisy, sigma / 255)
    return bm3d.bm3d(noisy[..., 0], sigma / 255)[..., None]


# name -> (H, W, C) float image, true noise level on the 0-255 scale -> the denoised image
BASELINES: dict[str, Callable[[np.ndarray, float], np.ndarray]] = {
    "nlm": non_local_means,
    "bm3d": block_matching_3d,
}


def denoise_with(name: str, noisy: torch.Tensor, sigma: float) -> torch.Tensor:
    """Baseline ``name`` applied to each image of ``noisy`` (B, C, H, W); returns the same shape
    on the same device, clipped to [0, 1]."""
    method = BASELINES[name]
    images = noisy.detach().float().cpu().permute(0, 2, 3, 1).numpy().astype(np.float64)
    denoised = np.stack([method(image, sigma) for image in images])
    result = torch.from_numpy(denoised.astype(np.float32)).permute(0, 3, 1, 2)
    return result.clamp(0, 1).to(noisy.device)
