"""Hint-based colorization data: the batch transforms the colorization task applies on the
device (CIE Lab conversion, hint sampling), baselines without learning, and the ab-bin prior of a
training set. The photos themselves come from :mod:`colorization.data.photos`.

Attributes are imported on first use (:mod:`colorization.lazy`)."""

from colorization.lazy import lazy_attributes

__all__ = ["GeometricPatchHints", "HintSampler", "RandomPixelHints"]
__getattr__ = lazy_attributes(
    __name__,
    dict.fromkeys(
        ("GeometricPatchHints", "HintSampler", "RandomPixelHints"),
        "colorization.data.colorization.hints",
    ),
)
