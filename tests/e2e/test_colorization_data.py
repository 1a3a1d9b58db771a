"""Training on a folder of photos that holds bad files."""

from __future__ import annotations

from pathlib import Path

from helpers import make_corpus

from colorization.data import PhotoDataModule
from colorization.train import train


def test_training_runs_on_the_corpus(make_cfg, tmp_path: Path) -> None:
    corpus = tmp_path / "photos"
    make_corpus(corpus)
    trainer, _ = train(make_cfg(f"data.root={corpus}", "debug=fast_dev_run"))
    assert trainer.state.finished
    dm = PhotoDataModule(root=str(corpus), image_size=32, num_workers=0)
    dm.setup()
    used = {Path(p.name).name for p in dm.train_set.photos + dm.val_set.photos}
    assert used == {"good0.jpg", "good1.jpg", "good2.jpg", "good.png", "rgba.png", "deep.png"}
