"""colorization: a PyTorch Lightning + Hydra framework for UNet-family image-to-image models."""

from colorization.config import register_resolvers

register_resolvers()

__version__ = "0.1.0"
