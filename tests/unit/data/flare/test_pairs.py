"""colorization.data.flare.pairs: paired folders, their checks and joint patches."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from helpers import photo, write_image, write_pairs

from colorization.data.flare.pairs import (
    check_image_pairs,
    pair_inputs_and_targets,
    random_patch_pair,
    suggest_name_map,
)

# --- paired folders --------------------------------------------------------------------------


def test_pairs_match_by_name_across_extensions(tmp_path: Path) -> None:
    write_pairs(tmp_path, ["a", "b", "c"])
    pairs = pair_inputs_and_targets(tmp_path / "inputs", tmp_path / "targets")
    assert [(p.input.name, p.target.name) for p in pairs] == [
        ("a.jpg", "a.png"),
        ("b.jpg", "b.png"),
        ("c.jpg", "c.png"),
    ]


def test_unmatched_names_are_listed_with_the_name_map_fix(tmp_path: Path) -> None:
    for index in range(3):
        write_image(tmp_path / "in" / f"train_input_{index}.png", photo(seed=index))
        write_image(tmp_path / "label" / f"train_label_{index}.png", photo(seed=index))
    with pytest.raises(FileNotFoundError) as error:
        pair_inputs_and_targets(tmp_path / "in", tmp_path / "label")
    message = str(error.value)
    assert "3 of 3 images" in message and "train_input_0.png" in message
    assert "data.name_map='[input,label]'" in message
    pairs = pair_inputs_and_targets(tmp_path / "in", tmp_path / "label", ["input", "label"])
    assert len(pairs) == 3 and pairs[0].target.name == "train_label_0.png"


def test_suggested_name_map() -> None:
    assert suggest_name_map("train_input_10000", "train_label_10000") == ("input", "label")
    assert suggest_name_map("x", "y") is None


def test_size_mismatch_and_too_small_pairs_are_reported(tmp_path: Path) -> None:
    write_image(tmp_path / "in" / "a.png", photo(40, 56))
    write_image(tmp_path / "out" / "a.png", photo(40, 50))
    pairs = pair_inputs_and_targets(tmp_path / "in", tmp_path / "out")
    with pytest.raises(ValueError, match=r"differ in size[\s\S]*a.png \(56, 40\) vs a.png"):
        check_image_pairs(pairs, 16)
    write_image(tmp_path / "out" / "a.png", photo(40, 56))
    with pytest.raises(ValueError, match=r"smaller than the training patch[\s\S]*a.png"):
        check_image_pairs(pairs, 48)
    check_image_pairs(pairs, 40)
    (tmp_path / "out" / "a.png").write_bytes(b"not an image")
    with pytest.raises(ValueError, match="cannot be read"):
        check_image_pairs(pairs, 16)


def test_patches_transform_input_and_target_alike() -> None:
    torch.manual_seed(0)
    source = photo(40, 56)
    target = 255 - source  # any pixelwise relation must survive the joint transform
    seen = set()
    for _ in range(20):
        patch_in, patch_target = random_patch_pair(source, target, 16)
        assert patch_in.shape == (3, 16, 16)
        assert torch.equal(patch_target, 255 - patch_in)
        seen.add(patch_in.sum().item())
    assert len(seen) > 10  # crops, flips and rotations actually vary
