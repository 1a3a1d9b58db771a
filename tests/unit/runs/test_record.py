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


def test_a_refused_resume_names_the_changes_that_matter_and_logs_no_hydra_error(
    make_cfg, tmp_path, caplog
) -> None:
    """Another task's run: its own nested classes and keys follow from the task, and a
    missing class once made Hydra log "ERROR ... Error getting class at (absent)"."""
    import pytest

    from colorization.errors import RunError
    from colorization.runs.folder import RunFolder
    from colorization.runs.record import check_resumable, record_start

    run = RunFolder(tmp_path / "run")
    record_start(run, make_cfg(), [], resumed=False)
    with pytest.raises(RunError) as refused:
        check_resumable(run, make_cfg("task=segmentation"))
    message = str(refused.value)
    assert "task._target_" in message and "task.hints" not in message and "(absent)" not in message
    assert not [r for r in caplog.records if r.levelname == "ERROR"]


def test_an_allowed_change_that_changes_the_computation_is_logged_as_not_exact(
    make_cfg, tmp_path, caplog
) -> None:
    import logging

    from colorization.runs.folder import RunFolder
    from colorization.runs.record import check_resumable, record_start

    run = RunFolder(tmp_path / "run")
    record_start(run, make_cfg(), [], resumed=False)
    with caplog.at_level(logging.WARNING):
        check_resumable(run, make_cfg("data.num_workers=2", "trainer.max_epochs=9", "seed=7"))
    assert "not exactly" not in caplog.text  # loading, length and seed keep it exact
    with caplog.at_level(logging.WARNING):
        check_resumable(run, make_cfg("trainer.precision=32-true", "data.num_workers=2"))
    assert "not exactly as the run it resumes would have" in caplog.text
    assert "trainer.precision" in caplog.text and "num_workers" not in caplog.text
