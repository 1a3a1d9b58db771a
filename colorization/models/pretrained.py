"""Pretrained encoder weights, found on this machine only: nothing is downloaded at run time.

segmentation_models_pytorch and timm fetch ImageNet weights from the Hugging Face Hub (or, for
some timm encoders, a release URL) the first time they are asked for, into local caches. Here the
same files are looked up in those caches with ``local_files_only``; when they are missing the
run stops before training with one line naming the cache folder and ``model.encoder_weights``
(a path to the file works too). docs/pretrained.md says how to fill the caches on a machine
with internet and carry them over.

A network whose weights a checkpoint is about to replace (resuming, predicting, exporting,
evaluating a run) does not need its starting weights: :func:`weights_from_checkpoint` says so
to the networks built inside it, so that a run trained from ImageNet weights can be used on a
machine that has never had them.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

import torch

WEIGHT_SUFFIXES = (".safetensors", ".pth", ".pt", ".bin")
_FROM_CHECKPOINT: ContextVar[bool] = ContextVar("weights_from_checkpoint", default=False)


class MissingWeightsError(FileNotFoundError):
    """Pretrained weights that were asked for are not on this machine."""


@contextmanager
def weights_from_checkpoint() -> Iterator[None]:
    """Networks built inside skip their pretrained starting weights (a checkpoint follows)."""
    token = _FROM_CHECKPOINT.set(True)
    try:
        yield
    finally:
        _FROM_CHECKPOINT.reset(token)


def starting_weights_wanted() -> bool:
    return not _FROM_CHECKPOINT.get()


def is_weights_file(weights: str) -> bool:
    """``model.encoder_weights`` names a file (a path), not a set of weights such as imagenet."""
    return weights.endswith(WEIGHT_SUFFIXES) or os.sep in weights or "/" in weights


def hub_cache() -> str:
    from huggingface_hub import constants

    return str(constants.HF_HUB_CACHE)


def url_weights_file(url: str) -> Path:
    """Where weights downloaded from ``url`` are kept (torch hub's folder, which timm and
    torchvision use alike), present or not."""
    from timm.models._hub import get_cache_dir

    return Path(get_cache_dir()) / os.path.basename(url)


def _missing(encoder: str, weights: str, where: str) -> MissingWeightsError:
    return MissingWeightsError(
        f"model.encoder_weights={weights}: the weights of encoder {encoder} are not on this "
        f"machine ({where}); nothing is downloaded at run time. Fetch them where there is "
        "internet and copy the cache over (docs/pretrained.md), set "
        "model.encoder_weights=/path/to/weights.safetensors, or train from scratch with "
        "model.encoder_weights=null."
    )


def _cached_hub_file(repo_id: str, filenames: tuple[str, ...], revision: str | None) -> Path | None:
    from huggingface_hub import hf_hub_download

    for filename in filenames:
        try:
            path = hf_hub_download(repo_id, filename, revision=revision, local_files_only=True)
        except Exception:  # LocalEntryNotFoundError, EntryNotFoundError, offline errors
            continue
        return Path(path)
    return None


def locate_encoder_weights(encoder: str, weights: str) -> Path:
    """The local file of ``weights`` for ``encoder`` (an smp encoder name or ``tu-<timm name>``);
    :class:`MissingWeightsError` naming the cache and the fix when it is not here."""
    if is_weights_file(weights):
        path = Path(weights).expanduser()
        if not path.is_file():
            raise MissingWeightsError(
                f"model.encoder_weights={weights}: no such file. Give the path of the "
                f"encoder's weights ({', '.join(WEIGHT_SUFFIXES)}) or model.encoder_weights=null."
            )
        return path
    if encoder.startswith("tu-"):
        return _timm_weights(encoder, weights)
    from segmentation_models_pytorch.encoders import encoders

    settings = encoders[encoder]["pretrained_settings"]
    if weights not in settings:
        raise ValueError(
            f"model.encoder_weights={weights} is not offered for encoder {encoder}; choose "
            f"{', '.join(settings) or 'null (no pretrained weights exist)'} or null."
        )
    repo_id, revision = settings[weights]["repo_id"], settings[weights]["revision"]
    path = _cached_hub_file(repo_id, ("model.safetensors",), revision)
    if path is None:
        raise _missing(encoder, weights, f"Hugging Face cache {hub_cache()}, {repo_id}")
    return path


def _timm_weights(encoder: str, weights: str) -> Path:
    """timm's default pretrained tag of the encoder (or the tag in its name, ``tu-name.tag``):
    from the Hugging Face cache, or torch hub's checkpoint folder for weights behind a URL."""
    import timm

    name = encoder.removeprefix("tu-")
    if weights not in ("imagenet", "true", "True"):
        raise ValueError(
            f"model.encoder_weights={weights}: for a timm encoder ({encoder}) give imagenet "
            "(timm's pretrained tag of the name, e.g. tu-resnet34.a1_in1k), a file path, or null."
        )
    config = timm.models.get_pretrained_cfg(name)
    if config is None:
        raise ValueError(
            f"timm has no pretrained weights for {name}: use model.encoder_weights=null."
        )
    if config.hf_hub_id:
        filenames = ("model.safetensors", "open_clip_pytorch_model.bin", "pytorch_model.bin")
        path = _cached_hub_file(config.hf_hub_id, filenames, None)
        if path is not None:
            return path
    if config.url:
        path = url_weights_file(config.url)
        if path.is_file():
            return path
    where = f"Hugging Face cache {hub_cache()}, {config.hf_hub_id or config.url}"
    raise _missing(encoder, weights, where)


def read_state_dict(path: Path) -> dict[str, torch.Tensor]:
    """Tensors only: safetensors, or torch's ``weights_only`` unpickler (no code runs)."""
    try:
        if path.suffix == ".safetensors":
            from safetensors.torch import load_file

            return load_file(str(path), device="cpu")
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # a truncated file, another format
        raise ValueError(f"Could not read encoder weights {path}: {error}") from error
    if isinstance(state, dict) and isinstance(state.get("state_dict"), dict):
        state = state["state_dict"]
    if not isinstance(state, dict):
        raise ValueError(f"{path} holds no state dict of tensors: give an encoder's weights.")
    return state
