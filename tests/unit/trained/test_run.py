"""Opening a trained run: a damaged history.csv stops in one line naming it."""

from __future__ import annotations

from pathlib import Path

import pytest
from omegaconf import OmegaConf

from colorization.runs.folder import RunFolder
from colorization.trained.run import open_run


@pytest.mark.parametrize(
    "history",
    [b"epoch,val/psnr\n0,abc\n", b"\xff\xfe\x00 not text"],
    ids=["text_cell", "not_utf8"],
)
def test_a_damaged_history_names_the_file_and_the_way_out(
    make_cfg, tmp_path: Path, history: bytes
) -> None:
    folder = RunFolder(tmp_path / "run")
    folder.config.parent.mkdir(parents=True)
    OmegaConf.save(make_cfg(), folder.config)
    folder.checkpoints.mkdir()
    (folder.checkpoints / "epoch=000-val_psnr=20.00.ckpt").write_bytes(b"")
    folder.epoch_history.write_bytes(history)
    with pytest.raises(ValueError, match=r"history.csv cannot be read \(.*give a checkpoint") as e:
        open_run(folder.root)
    assert "\n" not in str(e.value)
