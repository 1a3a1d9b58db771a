"""Seeds grouped into configurations; pairs of configurations compared on the images they share,
or left unpaired with the reason."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from omegaconf import OmegaConf

from colorization.report.collect import RunRecord
from colorization.report.configurations import (
    compare_configurations,
    group_configurations,
    paired_scores,
    verdicts_against,
)

PROTOCOL = ("run_hints", "as in validation")


def record(name: str, model: str, seed: int, shift: float = 0.0, **changes) -> RunRecord:
    """A run of ``model`` whose 12 test images score ``shift`` above a shared difficulty."""
    config = OmegaConf.create(
        {
            "seed": seed,
            "model": {"_target_": f"colorization.models.{model}", "base_width": 8},
            "data": {"num_workers": changes.pop("workers", 2), "image_size": 32},
            "paths": {"output_dir": f"/runs/{name}"},
        }
    )
    rng = np.random.default_rng(seed)
    images = changes.pop("images", range(12))
    scores = {
        (f"photo {i}", str(i), f"d{i}"): {"psnr": 20 + i + shift + rng.normal(0, 0.1)}
        for i in images
    }
    run = SimpleNamespace(config=config, monitor="val/psnr", maximize=True, checkpoint=None)
    return RunRecord(
        name=name,
        folder=Path(name),
        run=run,
        evaluation={"protocol_note": changes.pop("note", "seed 0 + i")},
        image_scores={PROTOCOL: scores},
    )


def test_runs_that_differ_only_in_seed_and_loading_are_one_configuration() -> None:
    runs = [
        record("unet/0", "UNet", 0),
        record("unet/1", "UNet", 1, workers=0),
        record("att/0", "AttentionUNet", 0),
    ]
    configurations, keys = group_configurations(runs)
    assert keys == ["model"]
    assert [(c.label, c.seeds) for c in configurations] == [
        ("model=UNet", ["0", "1"]),
        ("model=AttentionUNet", ["0"]),
    ]


def test_a_known_shift_is_better_and_the_holm_family_is_the_protocol() -> None:
    runs = [record(f"a/{s}", "UNet", s, shift=1.0) for s in (0, 1, 2)]
    runs += [record(f"b/{s}", "AttentionUNet", s) for s in (3, 4, 5)]
    runs += [record(f"c/{s}", "NestedUNet", s) for s in (6, 7, 8)]
    configurations, _ = group_configurations(runs)
    rows = compare_configurations(configurations)
    assert len(rows) == 3
    by_pair = {(r["a"], r["b"]): r for r in rows}
    better = by_pair[("model=UNet", "model=AttentionUNet")]
    assert better["verdict"] == "better" and better["difference"] == pytest.approx(1.0, abs=0.2)
    assert better["images"] == 12 and better["seeds_a"] == 3 and better["note"] == ""
    assert better["p_holm"] >= better["p_value"]
    assert by_pair[("model=AttentionUNet", "model=NestedUNet")]["verdict"] == "tie"
    verdicts = verdicts_against(configurations[1], rows, PROTOCOL)
    assert verdicts == {
        "model=AttentionUNet": "best",
        "model=UNet": "better",
        "model=NestedUNet": "tie",
    }


def test_runs_tested_on_other_images_or_inputs_are_not_paired_and_say_why() -> None:
    unet, att = record("u", "UNet", 0), record("a", "AttentionUNet", 0)
    other_images = record("o", "NestedUNet", 0, images=range(20, 30))
    other_hints = record("h", "NestedUNet", 0, note="seed 5 + i")
    configurations, _ = group_configurations([unet, att])
    paired = paired_scores(*configurations, PROTOCOL, "psnr")
    assert paired.a.shape == (1, 12) and "one seed" in paired.note
    for odd, why in (
        (other_images, "different images"),
        (other_hints, "different protocol inputs"),
    ):
        configurations, _ = group_configurations([unet, odd])
        assert why in paired_scores(*configurations, PROTOCOL, "psnr").note
        (row,) = compare_configurations(configurations)
        assert row["verdict"] == "not paired" and why in row["note"]
    unevaluated = record("n", "NestedUNet", 0)
    unevaluated.image_scores = {}
    configurations, _ = group_configurations([unet, unevaluated])
    assert "evaluate it again" in paired_scores(*configurations, PROTOCOL, "psnr").note
    unevaluated.evaluation = None
    assert "NestedUNet: not evaluated" in paired_scores(*configurations, PROTOCOL, "psnr").note


def test_an_evaluation_of_1_1_pairs_by_its_hint_protocol_note() -> None:
    """evaluate wrote the protocol note as ``hint_protocol`` before 1.2."""
    unet, old = record("u", "UNet", 0), record("o", "AttentionUNet", 0)
    old.evaluation = {"hint_protocol": "seed 0 + i"}
    configurations, _ = group_configurations([unet, old])
    assert "different protocol inputs" not in paired_scores(*configurations, PROTOCOL, "psnr").note
    old.evaluation = {"hint_protocol": "seed 5 + i"}
    assert "different protocol inputs" in paired_scores(*configurations, PROTOCOL, "psnr").note


def test_only_the_images_every_run_scored_are_paired() -> None:
    partial = record("a", "AttentionUNet", 0, images=range(2, 12))
    configurations, _ = group_configurations([record("u", "UNet", 0), partial])
    scores = paired_scores(*configurations, PROTOCOL, "psnr")
    assert scores.a.shape == (1, 10) and "paired on 10 of 12 images" in scores.note
    # an image without a score (NaN: e.g. Dice with nothing to find) is left out too
    next(iter(partial.image_scores[PROTOCOL].values()))["psnr"] = float("nan")
    assert paired_scores(*configurations, PROTOCOL, "psnr").a.shape == (1, 9)


def test_a_copy_of_a_run_is_left_out_not_counted_as_a_second_seed() -> None:
    from colorization.report.configurations import leave_out_repeated_seeds

    runs = [record("unet/0", "UNet", 0), record("unet/0-copy", "UNet", 0), record("u/1", "UNet", 1)]
    leave_out_repeated_seeds(runs)
    assert [r.ok for r in runs] == [True, False, True]
    assert runs[1].problem.startswith("the same configuration and seed (0) as unet/0")
    (configuration,), _ = group_configurations([r for r in runs if r.ok])
    assert configuration.seeds == ["0", "1"]


def test_labels_keep_the_digits_that_tell_configurations_apart() -> None:
    from colorization.report.collect import config_value

    runs = [record("a", "UNet", 0), record("b", "UNet", 0)]
    OmegaConf.update(runs[0].run.config, "optimizer.lr", 0.001, force_add=True)
    OmegaConf.update(runs[1].run.config, "optimizer.lr", 0.0010001, force_add=True)
    configurations, keys = group_configurations(runs)
    assert keys == ["optimizer.lr"]
    assert [c.label for c in configurations] == ["optimizer.lr=0.001", "optimizer.lr=0.0010001"]
    assert config_value(runs[0], "model") == "UNet"
