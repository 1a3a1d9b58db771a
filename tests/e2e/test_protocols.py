"""``python -m colorization.evaluate <run> --protocol NAME`` on a trained tiny run of each task:
the numbers land in evaluation.json under the protocol's name beside the task's own, and a wrong
layout stops in one line that names the missing folder."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from helpers import train_run, write_images
from PIL import Image

from colorization.evaluate import evaluate, main

pytestmark = pytest.mark.slow  # five tiny trainings, about a minute on two cores


def protocol_rows(folder: Path, protocol: str) -> dict[tuple[str, str], float]:
    result = json.loads((folder / "evaluation.json").read_text())
    assert protocol in result["published"]
    return {
        (row["setting"], row["metric"]): row["value"]
        for row in result["metrics"]
        if row["protocol"] == protocol
    }


def flare7k_folder(root: Path) -> Path:
    rng = np.random.default_rng(0)
    for index in range(2):
        mask = np.zeros((48, 48, 3), np.uint8)
        mask[:16, :16], mask[30:, 30:], mask[4, 4] = (255, 255, 0), (255, 0, 0), (0, 0, 255)
        images = {
            "input": rng.integers(0, 256, (48, 48, 3), dtype=np.uint8),
            "gt": rng.integers(0, 256, (48, 48, 3), dtype=np.uint8),
            "mask": mask,
        }
        for folder, image in images.items():
            (root / folder).mkdir(parents=True, exist_ok=True)
            Image.fromarray(image).save(root / folder / f"{folder}_{index:06d}.png")
    return root


def test_each_task_is_measured_by_its_published_protocol(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    runs = {task: train_run(tmp_path / task, f"task={task}") for task in ("superres", "flare")}
    # super-resolution: a benchmark folder of HR images, LR made by MATLAB's bicubic
    write_images(tmp_path / "Set5" / "HR", 2, (26, 20))
    own = evaluate(runs["superres"])  # the task's own evaluation stays beside the protocol's
    evaluate(runs["superres"], [f"data.test_root={tmp_path / 'Set5'}"], protocol="sr-benchmark")
    rows = protocol_rows(runs["superres"], "sr-benchmark")
    assert set(rows) == {("x2", m) for m in ("psnr", "psnr_bicubic", "ssim", "ssim_bicubic")}
    saved = json.loads((runs["superres"] / "evaluation.json").read_text())
    own_protocols = {row["protocol"] for row in own["metrics"]}
    assert {row["protocol"] for row in saved["metrics"]} == own_protocols | {"sr-benchmark"}
    # flare removal: the Flare7K++ layout with its masks
    real = flare7k_folder(tmp_path / "real")
    main([str(runs["flare"]), "--protocol", "flare7k", f"data.test_root={real}"])
    rows = protocol_rows(runs["flare"], "flare7k")
    assert {"psnr", "ssim", "g_psnr", "s_psnr", "global_psnr", "score"} <= {m for _, m in rows}
    # a wrong layout: one line naming the missing folder, no traceback
    (real / "mask" / "mask_000000.png").unlink()
    for path in (real / "mask").iterdir():
        path.unlink()
    (real / "mask").rmdir()
    capsys.readouterr()
    with pytest.raises(SystemExit):
        main([str(runs["flare"]), "--protocol", "flare7k", f"data.test_root={real}"])
    error = capsys.readouterr().err.strip()
    assert error.startswith("error: ") and "real/mask does not exist" in error
    assert "\n" not in error and "Traceback" not in error


def test_the_other_tasks_on_their_run_test_images_and_an_image_list(tmp_path: Path) -> None:
    runs = {
        task: train_run(tmp_path / task, f"task={task}")
        for task in ("colorization", "segmentation", "denoising")
    }
    # colorization: a folder with an image list selecting two of its three images
    paths = write_images(tmp_path / "val", 3)
    listing = tmp_path / "ctest.txt"
    listing.write_text("".join(f"{p.relative_to(tmp_path / 'val')}\n" for p in paths[:2]))
    overrides = [f"data.test_root={tmp_path / 'val'}", f"data.test_list={listing}"]
    evaluate(runs["colorization"], overrides, protocol="interactive-224")
    rows = protocol_rows(runs["colorization"], "interactive-224")
    assert ("200 hints", "psnr") in rows and ("0 hints", "psnr_no_color") in rows
    result = json.loads((runs["colorization"] / "evaluation.json").read_text())
    assert result["published"]["interactive-224"]["overrides"] == overrides
    images = (runs["colorization"] / "evaluation_images.csv").read_text().splitlines()
    assert len(images) == 1 + 2 * 9  # two images at nine numbers of hints
    # segmentation and denoising on the run's own test images
    evaluate(runs["segmentation"], protocol="dataset-iou")
    rows = protocol_rows(runs["segmentation"], "dataset-iou")
    assert 0 <= rows[("", "miou")] <= 1 and ("", "iou_class1") in rows
    evaluate(runs["denoising"], protocol="awgn-benchmark")
    rows = protocol_rows(runs["denoising"], "awgn-benchmark")
    assert rows[("sigma 15", "psnr_noisy")] > rows[("sigma 50", "psnr_noisy")]
    account = json.loads((runs["denoising"] / "evaluation.json").read_text())["published"]
    assert account["awgn-benchmark"]["left_out_images"] == {}
    assert account["awgn-benchmark"]["comparable_with"].startswith("CBSD68")
    # a test folder with unusable files: what was left out is recorded, the claim withdrawn
    good = write_images(tmp_path / "cbsd", 2, (40, 40))
    truncated = tmp_path / "cbsd" / "truncated.png"
    truncated.write_bytes(good[0].read_bytes()[:200])
    Image.new("RGB", (1, 1)).save(tmp_path / "cbsd" / "tiny.png")
    evaluate(runs["denoising"], [f"data.test_root={tmp_path / 'cbsd'}"], protocol="awgn-benchmark")
    account = json.loads((runs["denoising"] / "evaluation.json").read_text())["published"]
    assert set(account["awgn-benchmark"]["left_out_images"]) == {"truncated.png", "tiny.png"}
    assert account["awgn-benchmark"]["comparable_with"].startswith("not comparable: 2 test")
