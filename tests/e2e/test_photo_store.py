"""Training and evaluating from a photo store (data=photos data.store=DIR)."""

from __future__ import annotations

from pathlib import Path

from helpers import write_images

from colorization.evaluate import evaluate
from colorization.prepare import prepare
from colorization.train import train


def test_a_store_trains_and_evaluate_uses_its_test_split(make_cfg, tmp_path: Path) -> None:
    write_images(tmp_path / "photos", 8, size=(70, 50))
    store, _, counts = prepare([str(tmp_path / "photos")], tmp_path / "store", short_side=48)
    assert min(counts.values()) >= 1
    cfg = make_cfg("data=photos", f"data.store={store}", "run_name=store")
    trainer, _ = train(cfg)
    assert trainer.current_epoch == 1 and trainer.callback_metrics["val/psnr"] > 0
    result = evaluate(cfg.paths.output_dir, ratios=(0.01,), points=(), baselines=())
    assert result["test_set"].startswith("the test split of the photo store")
    views = trainer.datamodule.test_set
    assert len(views) == counts["test"]
