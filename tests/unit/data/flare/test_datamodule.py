"""FlareDataModule: synthetic scenes and folder pairs, patches and whole validation images."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from helpers import write_pairs

from colorization.data import FlareDataModule

# --- paired folders --------------------------------------------------------------------------


def test_datamodule_needs_both_folders() -> None:
    with pytest.raises(ValueError, match="both data.inputs and data.targets"):
        FlareDataModule(inputs="/somewhere")


# --- data module -----------------------------------------------------------------------------
def test_synthetic_datamodule_patches_and_fixed_whole_validation_images() -> None:
    def val_items() -> list[dict]:
        datamodule = FlareDataModule(
            image_size=32,
            scene_size=48,
            batch_size=4,
            val_samples=4,
            num_workers=0,
            train_samples_per_epoch=8,
        )
        datamodule.setup()
        return datamodule, [datamodule.val_set[i] for i in range(4)]

    datamodule, first = val_items()
    _, second = val_items()
    batch = next(iter(datamodule.train_dataloader()))
    assert batch["input"].shape == (4, 3, 32, 32) and batch["input"].dtype == torch.uint8
    assert (batch["input"] != batch["target"]).any()
    # The two held-out photos in turn, whole (shorter side = scene_size), two flares each.
    assert [tuple(item["input"].shape) for item in first] == [(3, 48, 72)] * 4
    for a, b in zip(first, second, strict=True):
        assert torch.equal(a["input"], b["input"]) and torch.equal(a["target"], b["target"])
    assert not torch.equal(first[0]["target"], first[1]["target"])  # the other photo
    assert torch.equal(first[0]["target"], first[2]["target"])  # the same photo ...
    assert not torch.equal(first[0]["input"], first[2]["input"])  # ... with another flare


def test_folder_datamodule_trains_on_patches_and_validates_whole_images(tmp_path: Path) -> None:
    write_pairs(tmp_path, [f"p{i}" for i in range(5)], size=(40, 56))
    datamodule = FlareDataModule(
        str(tmp_path / "inputs"),
        str(tmp_path / "targets"),
        image_size=24,
        batch_size=2,
        num_workers=0,
        val_fraction=0.2,
        train_samples_per_epoch=6,
    )
    datamodule.setup()
    assert len(datamodule.train_set) == 6
    assert next(iter(datamodule.train_dataloader()))["input"].shape == (2, 3, 24, 24)
    val = next(iter(datamodule.val_dataloader()))
    assert val["input"].shape == (1, 3, 40, 56)


def test_several_patches_per_decoded_pair(tmp_path: Path, monkeypatch) -> None:
    import colorization.data.flare.pairs as pairs_module

    write_pairs(tmp_path, [f"p{i}" for i in range(5)], size=(40, 56))
    decoded = []
    real_load = pairs_module.load_rgb
    monkeypatch.setattr(
        pairs_module, "load_rgb", lambda path: decoded.append(path) or real_load(path)
    )
    datamodule = FlareDataModule(
        str(tmp_path / "inputs"),
        str(tmp_path / "targets"),
        image_size=16,
        batch_size=8,
        num_workers=0,
        val_fraction=0.2,
        train_samples_per_epoch=16,
        patches_per_image=4,
    )
    datamodule.setup()
    batches = list(datamodule.train_dataloader())
    assert [tuple(b["input"].shape) for b in batches] == [(8, 3, 16, 16)] * 2
    assert sorted(torch.cat([b["index"] for b in batches]).tolist()) == list(range(16))
    assert len(decoded) == 2 * 4  # 4 pairs decoded (input + target) for 16 patches
    with pytest.raises(ValueError, match="divide data.batch_size=6"):
        FlareDataModule(batch_size=6, patches_per_image=4)
