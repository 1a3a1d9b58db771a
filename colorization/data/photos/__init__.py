"""Photos for every task that learns from photos: random crops of the built-in photos or of
your folders (:class:`PhotoDataModule`, ``data=colorization``, ``data=superres``), and a photo
corpus prepared once into a store (``python -m colorization.prepare``) that training reads random
crops from with no image decoding (:class:`PhotoStoreDataModule`, ``data=photos``).

The DataModules are imported on first use (:mod:`colorization.lazy`)."""

from colorization.lazy import lazy_attributes

__all__ = ["PhotoDataModule", "PhotoStoreDataModule"]
__getattr__ = lazy_attributes(
    __name__,
    {
        "PhotoDataModule": "colorization.data.photos.datamodule",
        "PhotoStoreDataModule": "colorization.data.photos.store_datamodule",
    },
)
