"""Which noise levels there are: on the 0-255 scale, as the denoising literature gives them
(sigma 25 is N(0, (25/255)^2) on images in [0, 1]). Light (no torch): the evaluate command checks
its ``--sigmas`` with it while reading the command line."""

from __future__ import annotations

HIGHEST = 255.0
EXPECTED = f"a noise level in [0, {HIGHEST:g}] on the 0-255 scale (e.g. 25)"


def is_noise_level(sigma: float) -> bool:
    return 0 <= sigma <= HIGHEST
