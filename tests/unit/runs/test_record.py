"""Which config differences stop a resume; keys a later version added resume as before."""

from __future__ import annotations

from omegaconf import OmegaConf

from colorization.runs.record import config_differences


def test_a_key_added_later_resumes_with_the_value_that_behaves_as_before() -> None:
    recorded = OmegaConf.create({"task": {"hint_seed": 0}, "data": {"root": None}})
    as_before = OmegaConf.create(
        {"task": {"hint_seed": 0, "no_hint_rate": 0.0}, "data": {"root": None, "test_root": None}}
    )
    assert config_differences(recorded, as_before) == []
    changed = OmegaConf.create({"task": {"hint_seed": 0, "no_hint_rate": 0.125}})
    assert ("task.no_hint_rate", 0.0, 0.125) in config_differences(recorded, changed)


def test_evaluation_baselines_may_change_but_the_recipe_may_not() -> None:
    recorded = OmegaConf.create({"task": {"baselines": [], "hint_seed": 0}})
    current = OmegaConf.create({"task": {"baselines": ["levin"], "hint_seed": 1}})
    assert config_differences(recorded, current) == [("task.hint_seed", 0, 1)]


def test_a_super_resolution_run_of_before_1_4_resumes_only_with_torchs_degradation() -> None:
    """Its LR crops were torch's bicubic: 1.4's default (MATLAB's) would be another experiment."""
    recorded = OmegaConf.create({"task": {"scale": 2}})
    default = OmegaConf.create({"task": {"scale": 2, "degradation": "matlab"}})
    assert config_differences(recorded, default) == [("task.degradation", "torch", "matlab")]
    as_before = OmegaConf.create({"task": {"scale": 2, "degradation": "torch"}})
    assert config_differences(recorded, as_before) == []
