"""colorization.callbacks.checkpoint: atomic, finite checkpoints and the last.ckpt callback."""

from __future__ import annotations

import errno
import os
import subprocess
import types
from pathlib import Path

import pytest
import torch

from colorization.callbacks.checkpoint import (
    LastCheckpoint,
    SafeModelCheckpoint,
    ensure_room_for_checkpoints,
)
from colorization.errors import RunError
from colorization.models import UNet


def test_non_finite_weights_are_never_saved(tmp_path: Path) -> None:
    module = UNet(4, 2, base_width=4, depth=1)
    with torch.no_grad():
        next(module.parameters()).fill_(float("nan"))
    callback = SafeModelCheckpoint(dirpath=tmp_path)
    trainer = types.SimpleNamespace(lightning_module=module)
    callback._save_checkpoint(trainer, str(tmp_path / "last.ckpt"))
    assert not list(tmp_path.iterdir())


def test_checkpoints_are_written_atomically(tmp_path: Path) -> None:
    written: list[str] = []

    def save_checkpoint(path: str, weights_only: bool = False) -> None:
        written.append(path)
        Path(path).write_bytes(b"checkpoint")

    trainer = types.SimpleNamespace(
        lightning_module=UNet(4, 2, base_width=4, depth=1),
        save_checkpoint=save_checkpoint,
        is_global_zero=True,
        loggers=[],
        global_step=7,
    )
    SafeModelCheckpoint(dirpath=tmp_path)._save_checkpoint(trainer, str(tmp_path / "last.ckpt"))
    assert written == [str(tmp_path / f"last.ckpt.{os.getpid()}.partial")]  # this process's
    assert sorted(p.name for p in tmp_path.iterdir()) == ["last.ckpt"]


class SaveRecorder:
    """Stands in for ``Trainer.save_checkpoint``: writes a marker file, remembers the step."""

    def __init__(self, trainer) -> None:
        self.trainer = trainer
        self.steps: list[int] = []

    def __call__(self, path: str, weights_only: bool = False) -> None:
        self.steps.append(self.trainer.global_step)
        Path(path).write_bytes(b"checkpoint")


def fake_trainer(step: int = 0):
    trainer = types.SimpleNamespace(
        lightning_module=UNet(4, 2, base_width=4, depth=1),
        is_global_zero=True,
        loggers=[],
        global_step=step,
        fast_dev_run=False,
        sanity_checking=False,
        num_training_batches=10,
    )
    trainer.save_checkpoint = SaveRecorder(trainer)
    return trainer


def test_last_checkpoint_also_writes_every_n_optimizer_steps(tmp_path: Path) -> None:
    callback = LastCheckpoint(dirpath=str(tmp_path), every_n_train_steps=2)
    trainer = fake_trainer()
    # global step after each batch, with gradient accumulation over 2 batches
    for step in (0, 1, 1, 2, 2, 3, 3, 4):
        trainer.global_step = step
        callback.on_train_batch_end(trainer, trainer.lightning_module, None, None, 0)
    assert trainer.save_checkpoint.steps == [2, 4]  # once per step, never at step 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["last.ckpt"]


def test_last_checkpoint_step_writes_can_be_switched_off(tmp_path: Path) -> None:
    callback = LastCheckpoint(dirpath=str(tmp_path), every_n_train_steps=None)
    trainer = fake_trainer(step=100)
    callback.on_train_batch_end(trainer, trainer.lightning_module, None, None, 0)
    assert trainer.save_checkpoint.steps == []
    assert callback.every_n_epochs == 1  # the epoch schedule stays
    with pytest.raises(ValueError, match="every_n_train_steps must be >= 1"):
        LastCheckpoint(dirpath=str(tmp_path), every_n_train_steps=0)


def test_a_step_write_does_not_replace_the_epoch_end_write(tmp_path: Path) -> None:
    """Only the epoch-end checkpoint records a finished epoch: a step write at the same global
    step must not make Lightning skip it."""
    callback = LastCheckpoint(dirpath=str(tmp_path), every_n_train_steps=2)
    trainer = fake_trainer(step=2)
    callback.on_train_batch_end(trainer, trainer.lightning_module, None, None, 0)
    assert callback._last_global_step_saved != 2


def test_no_step_write_at_the_last_batch_of_an_epoch(tmp_path: Path) -> None:
    """There the epoch-end write follows its validation: Lightning would resume a step write
    made at the last batch as a finished epoch, without that validation."""
    callback = LastCheckpoint(dirpath=str(tmp_path), every_n_train_steps=2)
    trainer = fake_trainer(step=10)
    callback.on_train_batch_end(trainer, trainer.lightning_module, None, None, 9)
    assert trainer.save_checkpoint.steps == []
    trainer.global_step = 8
    callback.on_train_batch_end(trainer, trainer.lightning_module, None, None, 7)
    assert trainer.save_checkpoint.steps == [8]


def failing_trainer(error: BaseException):
    def save_checkpoint(path: str, weights_only: bool = False) -> None:
        Path(path).write_bytes(b"half a checkpoint")
        raise error

    return types.SimpleNamespace(
        lightning_module=UNet(4, 2, base_width=4, depth=1),
        save_checkpoint=save_checkpoint,
        is_global_zero=True,
        loggers=[],
        global_step=3,
    )


@pytest.mark.parametrize(
    "error",
    [
        OSError(errno.ENOSPC, "No space left on device"),
        OSError(errno.EROFS, "Read-only file system"),
        RuntimeError("[enforce fail at inline_container.cc:672] . unexpected pos 576 vs 534"),
    ],
    ids=["full", "read-only", "torch's zip writer on a full disk"],
)
def test_a_full_or_read_only_disk_stops_with_the_folder_and_keeps_the_last_checkpoint(
    tmp_path: Path, error: BaseException
) -> None:
    last = tmp_path / "last.ckpt"
    last.write_bytes(b"the previous good checkpoint")
    read_only = isinstance(error, OSError) and error.errno == errno.EROFS
    said = ": Read-only file system" if read_only else " .*MiB free.*paths.log_dir"
    with pytest.raises(RunError, match=f"Cannot write to {tmp_path}{said}"):
        SafeModelCheckpoint(dirpath=tmp_path).write_checkpoint(failing_trainer(error), str(last))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["last.ckpt"]  # no partial left
    assert last.read_bytes() == b"the previous good checkpoint"


def test_other_save_errors_are_not_mistaken_for_a_full_disk(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="something else"):
        SafeModelCheckpoint(dirpath=tmp_path).write_checkpoint(
            failing_trainer(RuntimeError("something else")), str(tmp_path / "last.ckpt")
        )


def test_a_real_full_file_system(tmp_path: Path) -> None:
    """A 256 KiB tmpfs where this machine lets the tests mount one (root in a container);
    elsewhere the patched writers above cover the same code path."""
    tiny = tmp_path / "tiny"
    tiny.mkdir()
    mount = ["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(tiny)]
    mounted = subprocess.run(mount, capture_output=True)
    if mounted.returncode != 0:
        pytest.skip("cannot mount a tmpfs here; the patched-writer tests cover this path")
    try:
        trainer = types.SimpleNamespace(
            lightning_module=UNet(4, 2, base_width=16, depth=2),
            is_global_zero=True,
            loggers=[],
            global_step=1,
        )
        trainer.save_checkpoint = lambda path, weights_only=False: torch.save(
            trainer.lightning_module.state_dict(), path
        )
        with pytest.raises(RunError, match="Cannot write to"):
            SafeModelCheckpoint(dirpath=tiny).write_checkpoint(trainer, str(tiny / "last.ckpt"))
        assert list(tiny.iterdir()) == []
    finally:
        subprocess.run(["umount", str(tiny)], check=False)


def test_too_little_room_stops_before_training(tmp_path: Path, monkeypatch) -> None:
    usage = types.SimpleNamespace(total=2**30, used=2**30, free=2**20)
    monkeypatch.setattr("shutil.disk_usage", lambda path: usage)
    with pytest.raises(RunError, match=r"1 MiB free; about \d+ MiB are needed"):
        ensure_room_for_checkpoints(UNet(4, 2, base_width=16, depth=2), tmp_path / "checkpoints")


def test_a_stop_saves_on_every_rank(tmp_path: Path) -> None:
    """Lightning writes the file on rank 0 and then waits for every rank: under DDP, a rank that
    skipped the save would leave rank 0 waiting forever."""
    from pytorch_lightning.utilities.exceptions import SIGTERMException

    callback = LastCheckpoint(dirpath=str(tmp_path))
    trainer = fake_trainer(step=3)
    trainer.is_global_zero = False
    trainer.current_epoch = 0
    callback.on_exception(trainer, trainer.lightning_module, SIGTERMException())
    assert trainer.save_checkpoint.steps == [3]
    callback.on_exception(trainer, trainer.lightning_module, RuntimeError("not a stop"))
    assert trainer.save_checkpoint.steps == [3]
