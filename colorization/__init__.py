"""colorization: a PyTorch Lightning + Hydra framework for UNet-family image-to-image models.

The root package holds what every layer may know and imports nothing: the version and where the
configs are (the repository's top-level ``conf/``, or the copy a wheel carries inside the
package, ``colorization/conf``), so ``python -m colorization.train`` works from any working
directory, installed or from a clone.
"""

from pathlib import Path

__version__ = "1.8.0"

CONFIG_NAME = "train"


def config_dir() -> Path:
    """The folder holding ``train.yaml`` and the config groups."""
    package = Path(__file__).resolve().parent
    for candidate in (package.parent / "conf", package / "conf"):
        if (candidate / f"{CONFIG_NAME}.yaml").is_file():
            return candidate
    raise FileNotFoundError(
        f"No {CONFIG_NAME}.yaml next to the colorization package ({package}). "
        "Reinstall it with `pip install -e .` from a clone of the repository."
    )
