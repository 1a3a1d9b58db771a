"""A photo corpus for colorization prepared once into a store (``python -m colorization.prepare``)
that training reads random crops from with no image decoding (``data=photos data.store=DIR``).

The DataModule is imported on first use (:mod:`colorization.lazy`)."""

from colorization.lazy import lazy_attributes

__all__ = ["PhotoStoreDataModule"]
__getattr__ = lazy_attributes(
    __name__, {"PhotoStoreDataModule": "colorization.data.photos.datamodule"}
)
