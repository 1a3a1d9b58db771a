"""Files written whole or not at all, never through a link planted in their place."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from colorization.errors import user_error
from colorization.trained.evaluation_files import write_evaluation
from colorization.writing import replacing, write_bytes, write_text


def test_a_link_planted_at_the_name_is_replaced_not_followed(tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    planted = tmp_path / "run" / "evaluation.json"
    planted.parent.mkdir()
    planted.symlink_to(victim)
    write_text(planted, "{}\n")
    assert victim.read_text() == "keep me"
    assert not planted.is_symlink() and planted.read_text() == "{}\n"


def test_a_link_planted_at_the_partial_name_is_not_followed(tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    target = tmp_path / "best.yaml"
    (tmp_path / f".best.yaml.{os.getpid()}.partial").symlink_to(victim)
    with pytest.raises(OSError):
        write_bytes(target, b"x")
    assert victim.read_text() == "keep me" and not target.exists()


def test_evaluate_writes_its_three_files_without_following_links(tmp_path: Path) -> None:
    run = tmp_path / "run"
    run.mkdir()
    victims = []
    for name in ("evaluation.json", "evaluation.csv", "evaluation_images.csv"):
        victim = tmp_path / f"victim-{name}"
        victim.write_text("keep me")
        (run / name).symlink_to(victim)
        victims.append(victim)
    result = {"metrics": [{"protocol": "test", "setting": "", "metric": "psnr", "value": 1.0}]}
    image = {"protocol": "test", "setting": "", "image": "a", "index": 0, "digest": "d", "psnr": 1}
    write_evaluation(result, [image], run)
    assert all(victim.read_text() == "keep me" for victim in victims)
    assert not any((run / name).is_symlink() for name in ("evaluation.json", "evaluation.csv"))
    assert "psnr" in (run / "evaluation_images.csv").read_text()


def test_a_full_disk_names_the_file_and_leaves_nothing_behind(tmp_path: Path, monkeypatch) -> None:
    target = tmp_path / "out" / "evaluation.json"
    target.parent.mkdir()
    target.write_text("the earlier results")

    def full(*args: object, **kwargs: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    with pytest.raises(OSError) as raised, replacing(target) as handle:
        monkeypatch.setattr(handle, "write", full)
        handle.write("new")
    assert raised.value.filename == str(target)
    assert target.read_text() == "the earlier results"
    assert list(target.parent.iterdir()) == [target]
    message = str(user_error(raised.value))
    assert message.startswith(f"Cannot write to {target.parent} (")
