"""A run folder is data: opening it builds only the classes the framework's configs name."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from omegaconf import OmegaConf

from colorization.runs.folder import RunFolder
from colorization.runs.trust import (
    TRUST_VARIABLE,
    DamagedRunError,
    UntrustedRunError,
    is_trusted,
    shipped_targets,
)
from colorization.trained.run import run_config


def recorded(make_cfg, tmp_path: Path, **targets: str) -> RunFolder:
    """A run folder whose recorded config has ``targets`` (key -> _target_) set."""
    cfg = make_cfg()
    for key, target in targets.items():
        OmegaConf.update(cfg, key, target, force_add=True)
    folder = RunFolder(tmp_path / "run")
    folder.config.parent.mkdir(parents=True, exist_ok=True)
    OmegaConf.save(cfg, folder.config)
    return folder


def test_every_target_of_the_shipped_configs_and_of_0x_runs_is_trusted() -> None:
    assert "colorization.models.unet.UNet" in shipped_targets()
    assert all(is_trusted(target) for target in shipped_targets())
    for old in (
        "colorization.tasks.ColorizationTask",
        "colorization.data.ColorizationDataModule",
        "colorization.data.SegmentationDataModule",
        "colorization.tasks.guard.LossGuard",
    ):
        assert is_trusted(old), old


@pytest.mark.parametrize(
    "target",
    [
        "shutil.copy",
        "torch.save",
        "pathlib.Path.touch",
        "numpy.save",
        "os.system",
        "colorization.runs.record.archive",
        "colorization.data.photos.store.SplitWriter",
    ],
)
def test_what_the_framework_does_not_build_is_refused(target: str) -> None:
    assert not is_trusted(target)


def test_a_run_folder_that_names_other_code_stops_before_anything_runs(
    make_cfg, tmp_path: Path
) -> None:
    victim = tmp_path / "copied"
    folder = recorded(
        make_cfg,
        tmp_path,
        **{"model._target_": "shutil.copy", "model._args_": [__file__, str(victim)]},
    )
    with pytest.raises(UntrustedRunError, match=r"config.yaml: model._target_=shutil.copy"):
        run_config(folder)
    assert not victim.exists()


def test_a_nested_target_is_found_and_named(make_cfg, tmp_path: Path) -> None:
    folder = recorded(make_cfg, tmp_path, **{"task.hints._target_": "torch.save"})
    with pytest.raises(UntrustedRunError, match=r"task.hints._target_=torch.save.*set "):
        run_config(folder)


def test_the_user_can_trust_a_package_of_their_own(make_cfg, tmp_path: Path, monkeypatch) -> None:
    folder = recorded(make_cfg, tmp_path, **{"model._target_": "mylab.nets.MyUNet"})
    with pytest.raises(UntrustedRunError, match=f"{TRUST_VARIABLE}=mylab.nets"):
        run_config(folder)
    monkeypatch.setenv(TRUST_VARIABLE, "mylab.")
    assert run_config(folder).model._target_ == "mylab.nets.MyUNet"


def test_a_command_on_such_a_folder_says_so_in_one_line(make_cfg, tmp_path: Path) -> None:
    victim = tmp_path / "copied"
    folder = recorded(
        make_cfg,
        tmp_path,
        **{"model._target_": "shutil.copy", "model._args_": [__file__, str(victim)]},
    )
    (folder.checkpoints).mkdir()
    (folder.last_checkpoint).write_bytes(b"not used")
    command = [
        sys.executable,
        "-m",
        "colorization.export",
        str(folder.root),
        str(tmp_path / "m.onnx"),
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert result.returncode != 0 and "Traceback" not in result.stderr
    assert "model._target_=shutil.copy" in result.stderr.strip().splitlines()[-1]
    assert not victim.exists()


def write_run_config(tmp_path: Path, text: str | bytes) -> RunFolder:
    folder = RunFolder(tmp_path / "run")
    folder.config.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        folder.config.write_bytes(text)
    else:
        folder.config.write_text(text)
    return folder


def planted(make_cfg, tmp_path: Path, **values: object) -> RunFolder:
    """A real recorded config with ``values`` (dotted key -> raw YAML value) added."""
    cfg = make_cfg()
    for key, value in values.items():
        OmegaConf.update(cfg, key, value, force_add=True, merge=False)
    return write_run_config(tmp_path, OmegaConf.to_yaml(cfg))


@pytest.mark.parametrize(
    ("model", "resolver"),
    [
        ("${oc.create:${payload_str}}", "oc.create"),
        ("${oc.decode:${payload_str}}", "oc.decode"),
        ("${oc.select:nowhere,{_target_: shutil.copy}}", "dict literal"),
        ("${oc.env:HOME}", "oc.env"),
    ],
)
def test_a_resolver_that_builds_a_node_or_reads_the_environment_is_refused(
    make_cfg, tmp_path: Path, model: str, resolver: str
) -> None:
    """OmegaConf's oc.create / oc.decode make a node (``_target_`` included) from a string
    only when the config is resolved, after the targets written in it were checked."""
    victim = tmp_path / "pwned.txt"
    payload = f"{{_target_: shutil.copy, _args_: [{__file__}, {victim}]}}"
    folder = planted(make_cfg, tmp_path, model=model, payload_str=payload)
    with pytest.raises(UntrustedRunError, match=rf"config.yaml: model calls .*{resolver}"):
        run_config(folder)
    assert not victim.exists()


def test_a_target_reached_by_a_plain_interpolation_is_refused(make_cfg, tmp_path: Path) -> None:
    folder = planted(make_cfg, tmp_path, **{"model._target_": "${payload}", "payload": "os.system"})
    with pytest.raises(UntrustedRunError, match=r"model._target_="):
        run_config(folder)


def test_the_resolvers_of_the_shipped_configs_pass(make_cfg, tmp_path: Path) -> None:
    folder = planted(make_cfg, tmp_path, **{"loss.ignore_index": "${oc.select:task.nothing,null}"})
    assert run_config(folder).loss.ignore_index is None


def test_trusted_modules_are_matched_by_whole_names(make_cfg, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv(TRUST_VARIABLE, "sh")
    assert not is_trusted("shutil.copy")
    assert is_trusted("sh.Command")
    monkeypatch.setenv(TRUST_VARIABLE, "mylab.nets")
    assert is_trusted("mylab.nets.MyUNet") and not is_trusted("mylab.netsx.Evil")


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (b"model: \xff\xfe\n", "is not UTF-8"),
        ("model: !!python/object/apply:os.system [ls]\n", "is no YAML a run records"),
        ("model: [unclosed\n", "is no YAML a run records"),
        ("", "is empty"),
        ("- a list\n", "no mapping"),
        ("model: {_target_: colorization.models.unet.UNet}\n", "records no task"),
        ("a: &a [1, 1]\nb: &b [*a, *a]\nc: [*b, *b]\n", "uses YAML aliases"),  # billion laughs
    ],
)
def test_a_damaged_run_config_stops_in_one_line_naming_it(
    tmp_path: Path, text: str | bytes, problem: str
) -> None:
    folder = write_run_config(tmp_path, text)
    with pytest.raises(DamagedRunError, match=rf"config.yaml.*{problem}") as raised:
        run_config(folder)
    assert "\n" not in str(raised.value)


def test_a_huge_run_config_is_not_read(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr("colorization.runs.trust.MAX_CONFIG_BYTES", 100)
    folder = write_run_config(tmp_path, "task: {_target_: x}\n" + "#" * 200)
    with pytest.raises(DamagedRunError, match=r"config.yaml is larger than"):
        run_config(folder)
