"""Training and evaluating from a photo store (data=photos data.store=DIR)."""

from __future__ import annotations

from pathlib import Path

import pytest

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
    result = evaluate(cfg.paths.output_dir, hint_ratios=(0.01,), hint_points=(), baselines=())
    assert result["test_set"].startswith("the test split of the photo store")
    views = trainer.datamodule.test_set
    assert len(views) == counts["test"] * 4  # 2 x 2 views of each photo


def test_a_run_trained_on_a_store_of_version_1_is_evaluated_and_reported(
    make_cfg, tmp_path: Path
) -> None:
    from helpers import write_v1_store

    from colorization.report.__main__ import main as report

    write_v1_store(tmp_path / "old_store")
    cfg = make_cfg("data=photos", f"data.store={tmp_path / 'old_store'}", "run_name=old")
    trainer, _ = train(cfg)
    assert trainer.current_epoch == 1
    result = evaluate(cfg.paths.output_dir, hint_ratios=(0.01,), hint_points=(), baselines=())
    assert result["test_set"].startswith("the test split of the photo store")
    report([str(cfg.paths.output_dir), "--out", str(tmp_path / "report")])
    assert "test psnr" in (tmp_path / "report" / "leaderboard.md").read_text()


@pytest.mark.slow
def test_the_photo_recipe_trains_a_refiner_that_predicts_and_exports(
    photo_store: Path, tmp_path: Path
) -> None:
    import numpy as np
    from helpers import photo, train_run, write_image
    from PIL import Image

    from colorization.export import export
    from colorization.predict import main as predict
    from colorization.trained.run import trained_network

    run = train_run(tmp_path / "run", "experiment=colorization_photos", f"data.store={photo_store}")
    network = trained_network(run)
    assert network.spec.setting("propagation") == "levin" and network.spec.in_channels == 6
    history = (run / "history.csv").read_text()
    assert "val/psnr_levin" in history.splitlines()[0]
    export(run, tmp_path / "model.onnx")  # raises ParityError unless ONNX matches PyTorch
    write_image(tmp_path / "in" / "odd.png", photo(37, 53))
    hints = ["--hints-from", str(tmp_path / "in"), "--hint-points", "5"]
    predict([str(run), str(tmp_path / "in"), str(tmp_path / "torch"), *hints])
    predict(
        [
            "--onnx",
            str(tmp_path / "model.onnx"),
            str(tmp_path / "in"),
            str(tmp_path / "onnx"),
            *hints,
        ]
    )
    from_torch = np.asarray(Image.open(tmp_path / "torch" / "odd.png")).astype(int)
    from_onnx = np.asarray(Image.open(tmp_path / "onnx" / "odd.png")).astype(int)
    assert from_torch.shape == (37, 53, 3) and np.abs(from_onnx - from_torch).max() <= 1
