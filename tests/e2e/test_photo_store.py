"""Training and evaluating from a photo store (data=photos data.store=DIR)."""

from __future__ import annotations

from pathlib import Path

from colorization.data.photos.store import PhotoStore
from colorization.evaluate import evaluate
from colorization.train import train


def test_a_store_trains_and_evaluate_uses_its_test_split(make_cfg, photo_store: Path) -> None:
    store = PhotoStore(photo_store)
    counts = {split: store.count(split) for split in ("train", "val", "test")}
    assert min(counts.values()) >= 1
    cfg = make_cfg("data=photos", f"data.store={photo_store}", "run_name=store")
    trainer, _ = train(cfg)
    assert trainer.current_epoch == 1 and trainer.callback_metrics["val/psnr"] > 0
    result = evaluate(cfg.paths.output_dir, ratios=(0.01,), points=(), baselines=())
    assert result["test_set"].startswith("the test split of the photo store")
    views = trainer.datamodule.test_set
    assert len(views) == counts["test"] * 4  # 2 x 2 views of each photo
