"""A named run is one run: what it was trained with is kept, another experiment is refused,
resume=false starts over with the old attempt archived."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from colorization.errors import RunError
from colorization.train import train


def recorded(run: Path) -> dict[str, bytes]:
    return {
        name: (run / ".hydra" / name).read_bytes() for name in ("config.yaml", "overrides.yaml")
    }


def test_another_model_or_optimizer_is_refused_before_anything_changes(make_cfg, tmp_path) -> None:
    train(make_cfg("run_name=mm", "model=unet"))
    before = recorded(tmp_path)
    checkpoints = sorted(p.name for p in (tmp_path / "checkpoints").iterdir())
    with pytest.raises(RunError) as refused:
        train(make_cfg("run_name=mm", "model=attention_unet"))
    message = str(refused.value)
    assert "model._target_: 'colorization.models.unet.UNet' -> " in message
    assert "AttentionUNet" in message and "run_name=" in message and "resume=false" in message
    assert recorded(tmp_path) == before  # byte-identical
    assert sorted(p.name for p in (tmp_path / "checkpoints").iterdir()) == checkpoints
    with pytest.raises(RunError, match="optimizer._target_"):
        train(make_cfg("run_name=mm", "model=unet", "optimizer=sgd"))
    with pytest.raises(RunError, match="model.upsample: 'nearest' -> 'bilinear'"):
        train(make_cfg("run_name=mm", "model=unet", "model.upsample=bilinear"))


def test_allowed_changes_resume_and_are_appended_to_the_history(make_cfg, tmp_path) -> None:
    first, _ = train(make_cfg("run_name=grow"))
    before = recorded(tmp_path)
    resumed, _ = train(make_cfg("run_name=grow", "trainer.max_epochs=2", "data.num_workers=0"))
    assert resumed.global_step == 2 * first.global_step
    assert recorded(tmp_path) == before
    history = (tmp_path / ".hydra" / "overrides_history.yaml").read_text()
    assert history.count("time:") == 1


def test_resume_false_starts_over_and_archives_the_earlier_attempt(make_cfg, tmp_path) -> None:
    first, _ = train(make_cfg("run_name=again", "model=unet"))
    again, _ = train(make_cfg("run_name=again", "model=attention_unet", "resume=false"))
    assert again.global_step == first.global_step  # from step 0, not resumed
    archived = list((tmp_path / "archive").iterdir())
    assert len(archived) == 1
    old = archived[0] / "checkpoints" / "last.ckpt"
    assert torch.load(old, weights_only=True)["global_step"] == first.global_step
    assert "UNet" in (archived[0] / ".hydra" / "config.yaml").read_text()
    assert "AttentionUNet" in (tmp_path / ".hydra" / "config.yaml").read_text()
