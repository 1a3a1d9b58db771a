"""Each test image's scores: indices from the batch (or the test order), digests that match
for the same image and differ for another."""

from __future__ import annotations

import torch

from colorization.tasks.image_scores import ImageScoreRecorder, target_digest


def test_rows_carry_index_digest_and_scores_in_test_order() -> None:
    recorder = ImageScoreRecorder()
    targets = torch.rand(3, 2, 8, 8)
    recorder.record(
        {"index": torch.tensor([4, 5, 6])}, targets, {"psnr": torch.tensor([1.0, 2, 3])}
    )
    recorder.record({"image": None}, targets[:1], {"psnr": torch.tensor([9.0])})  # no indices
    assert [(r["index"], r["psnr"]) for r in recorder.rows] == [(4, 1), (5, 2), (6, 3), (3, 9)]
    assert recorder.rows[0]["digest"] == recorder.rows[3]["digest"] == target_digest(targets[0])
    assert len({r["digest"] for r in recorder.rows[:3]}) == 3


def test_the_digest_ignores_float_noise_but_not_another_image() -> None:
    torch.manual_seed(0)  # (noise that crosses a rounding boundary would change it)
    image = torch.rand(3, 16, 16)
    assert target_digest(image) == target_digest(image + 1e-7)
    assert target_digest(image) != target_digest(image.flip(-1))
    labels = torch.randint(0, 3, (16, 16))  # segmentation masks digest too
    assert target_digest(labels) == target_digest(labels.clone())
