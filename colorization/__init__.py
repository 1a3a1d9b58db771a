"""colorization: a PyTorch Lightning + Hydra framework for UNet-family image-to-image models."""

__version__ = "0.8.0"
