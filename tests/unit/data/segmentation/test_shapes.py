"""colorization.data.segmentation.shapes: synthetic shapes on the sample photos."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from colorization.data.segmentation.shapes import SHAPE_CLASSES, SyntheticShapesDataset, make_scene


def photos() -> list[torch.Tensor]:
    torch.manual_seed(0)
    return [torch.randint(0, 256, (3, 60, 80), dtype=torch.uint8) for _ in range(3)]


# --- synthetic shapes --------------------------------------------------------------------
def test_scene_is_reproducible_and_masks_are_exact_classes() -> None:
    def scene(seed, multi):
        return make_scene(
            photos(),
            48,
            torch.Generator().manual_seed(seed),
            max_shapes=3,
            multiclass=multi,
        )

    image, mask = scene(3, True)
    again, mask_again = scene(3, True)
    assert torch.equal(image, again) and torch.equal(mask, mask_again)
    assert image.shape == (3, 48, 48) and image.dtype == torch.uint8
    assert mask.shape == (48, 48) and set(mask.unique().tolist()) <= {0, 1, 2, 3}
    assert mask.max() > 0  # at least one shape
    _, binary = scene(3, False)
    assert torch.equal(binary, (mask > 0).long())


def test_every_shape_class_appears_with_its_label() -> None:
    seen: set[int] = set()
    for seed in range(30):
        _, mask = make_scene(photos(), 32, torch.Generator().manual_seed(seed), 3, True)
        seen |= set(mask.unique().tolist())
    assert seen == set(range(len(SHAPE_CLASSES) + 1))


def test_shape_fill_has_the_background_brightness() -> None:
    """Shapes differ from the background by texture and edges, not by mean brightness."""
    gaps = []
    for seed in range(20):
        image, mask = make_scene(photos(), 64, torch.Generator().manual_seed(seed), 1)
        inside, outside = image[:, mask == 1].float(), image[:, mask == 0].float()
        gaps.append((inside.mean() - outside.mean()).abs().item())
    assert np.median(gaps) < 20  # of 255


def test_synthetic_dataset_rejects_unsupported_class_counts() -> None:
    with pytest.raises(ValueError, match="task.num_classes=2 .* or 4"):
        SyntheticShapesDataset(photos(), 32, 4, num_classes=3)


def test_validation_scenes_are_fixed_training_scenes_vary() -> None:
    val = SyntheticShapesDataset(photos(), 32, 4, seed=0)
    assert torch.equal(val[1][0], val[1][0])
    train_set = SyntheticShapesDataset(photos(), 32, 4, seed=None)
    assert not torch.equal(train_set[1][0], train_set[1][0])
