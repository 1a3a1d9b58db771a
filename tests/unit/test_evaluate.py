"""python -m colorization.evaluate's overrides: read as ``train`` reads them."""

from __future__ import annotations

import pytest

from colorization.errors import UserError
from colorization.runs.overrides import parsed_override


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
    from colorization.runs.published_evaluation import protocols_help, published_protocol
    from colorization.tasks.registry import task_plugin

    with pytest.raises(UserError, match="not a protocol of the flare task .*: flare7k;"):
        published_protocol(task_plugin("flare"), "sr-benchmark")
    assert published_protocol(task_plugin("superres"), "sr-benchmark").task == "superres"
    listed = protocols_help()
    for name in ("sr-benchmark", "interactive-224", "interactive-256", "flare7k"):
        assert name in listed
    assert "dataset-iou" in listed and "awgn-benchmark" in listed


def test_every_published_protocol_names_its_task_papers_and_what_it_does() -> None:
    from colorization.tasks.registry import task_plugins

    for name, plugin in task_plugins().items():
        assert plugin.published_protocols, f"{name} has no published protocol"
        for protocol in plugin.published_protocols:
            assert protocol.task == name and protocol.papers and len(protocol.summary) > 40


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
    from colorization.runs.overrides import apply_overrides, check_test_root_accepted
    from colorization.tasks.registry import plugin_of_config

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
