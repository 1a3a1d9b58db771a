"""UNet-family networks. Each model is one module here plus one YAML in ``conf/model/``."""

from colorization.models.unet import UNet

__all__ = ["UNet"]
