"""python -m colorization.evaluate's overrides: read as ``train`` reads them."""

from __future__ import annotations

import pytest

from colorization.errors import UserError
from colorization.trained.overrides import parsed_override


@pytest.mark.parametrize(
    ("override", "expected"),
    [
        ("loss.temperature=0.38", ("loss.temperature", 0.38)),
        ("task.tile_size=64", ("task.tile_size", 64)),
        ("data.test_root=/photos/test", ("data.test_root", "/photos/test")),
        ("data.test_root=null", ("data.test_root", None)),
        ("task.baselines=[levin]", ("task.baselines", ["levin"])),
    ],
)
def test_override_values_get_their_types(override: str, expected: tuple) -> None:
    assert parsed_override(override) == expected


@pytest.mark.parametrize("override", ["data.test_root", "=3", "task.tile_size=32,64", "~loss"])
def test_what_is_not_one_key_and_value_is_refused(override: str) -> None:
    with pytest.raises(UserError, match="is not key=value"):
        parsed_override(override)


def test_a_protocol_the_task_does_not_have_lists_those_it_has() -> None:
    from colorization.tasks.registry import task_plugin
    from colorization.trained.published import protocols_help, published_protocol

    with pytest.raises(UserError, match="not a protocol of the flare task .*: flare7k;"):
        published_protocol(task_plugin("flare"), "sr-benchmark")
    assert published_protocol(task_plugin("superres"), "sr-benchmark").task == "superres"
    listed = protocols_help()
    for name in ("sr-benchmark", "interactive-224", "interactive-256", "flare7k"):
        assert name in listed
    assert "dataset-iou" in listed and "awgn-benchmark" in listed


def test_task_options_beside_a_protocol_stop_before_anything_loads(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from colorization.evaluate import main

    with pytest.raises(SystemExit):
        main(["no_such_run", "--protocol", "interactive-224", "--hint-points", "5"])
    assert "--hint-points: a published protocol fixes its own settings" in capsys.readouterr().err


def test_a_test_root_for_data_without_a_test_set_stops_in_one_line(make_cfg, tmp_path) -> None:
    from types import SimpleNamespace

    from omegaconf import OmegaConf

    from colorization.errors import UserError
    from colorization.tasks.registry import plugin_of_config
    from colorization.trained.overrides import apply_overrides, check_test_root_accepted

    for task, accepted in (("flare", False), ("segmentation", True), ("colorization", True)):
        config = make_cfg(f"task={task}")
        OmegaConf.update(config, "data.test_root", None, force_add=True)
        run = SimpleNamespace(config=config, plugin=plugin_of_config(config))
        apply_overrides(run, [f"data.test_root={tmp_path}"])
        if accepted:
            check_test_root_accepted(run)
            continue
        with pytest.raises(UserError, match=r"data.test_root: the flare task's data .* has no"):
            check_test_root_accepted(run)


@pytest.mark.parametrize(
    ("flags", "said"),
    [
        (["--sigmas", "300"], "argument --sigmas: '300' is not a noise level in [0, 255]"),
        (["--sigmas", "-5"], "argument --sigmas: '-5' is not a noise level"),
        (["--hint-ratios", "2"], "argument --hint-ratios: '2' is not a fraction of the pixels"),
        (["--hint-points", "-1"], "argument --hint-points: '-1' is not a number of hints"),
        (["--hint-points", "many"], "argument --hint-points: 'many' is not a number of hints"),
    ],
)
def test_a_setting_out_of_range_stops_at_its_flag_before_any_run_is_read(
    flags: list[str], said: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from colorization.evaluate import main

    with pytest.raises(SystemExit) as stop:
        main(["no_such_run", *flags])  # a run that is not there: nothing was read
    assert stop.value.code == 2
    error = capsys.readouterr().err
    assert said in error and "no_such_run" not in error and "Traceback" not in error


def test_python_callers_get_the_same_checks_naming_the_flag() -> None:
    from colorization.tasks.colorization.evaluation import hint_protocols
    from colorization.tasks.denoising.evaluation import sigma_protocols

    with pytest.raises(ValueError, match=r"--sigmas: 300 is not a noise level"):
        sigma_protocols({"sigmas": [15, 300]})
    with pytest.raises(ValueError, match=r"--hint-ratios: 2 is not a fraction"):
        hint_protocols({"hint_ratios": [2]})
    protocols = hint_protocols({"hint_ratios": [0, 0.005], "hint_points": []})
    assert [p.setting.label for p in protocols] == ["", "@0%", "@0.5%"]  # 1.4: "0%" twice
