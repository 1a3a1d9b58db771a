"""Training streamed from a LitData photo store: two DDP ranks read disjoint shares that cover
the epoch, and a run killed with -9 mid-epoch continues with the photos it had not yet seen."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from helpers import SMALL_RUN, write_images

from colorization.prepare import prepare

pytestmark = pytest.mark.slow

TESTS = Path(__file__).parents[1]
ENV = {
    **os.environ,
    "PYTHONWARNINGS": "ignore",
    "PYTHONPATH": os.pathsep.join([str(TESTS), os.environ.get("PYTHONPATH", "")]),
    "COLORIZATION_TRUSTED_TARGETS": "store_recording",
}
TIMEOUT = 300


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> str:
    root = tmp_path_factory.mktemp("streamed")
    write_images(root / "photos", 48, size=(70, 50))
    location, _, counts = prepare([str(root / "photos")], root / "store", short_side=48)
    assert counts["train"] >= 32
    return location


def command(store: str, record: Path, *overrides: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "colorization.train",
        *SMALL_RUN,
        "data=photos",
        f"data.store={store}",
        "data.train_samples_per_epoch=null",
        "trainer.accelerator=cpu",
        "+callbacks.record._target_=store_recording.RecordPhotos",
        f"+callbacks.record.folder={record}",
        *overrides,
    ]


def recorded(folder: Path, rank: int = 0) -> list[dict]:
    lines = (folder / f"rank{rank}.jsonl").read_text().splitlines()
    return [json.loads(line) for line in lines]


def run(cwd: Path, arguments: list[str]) -> None:
    done = subprocess.run(
        arguments, cwd=cwd, env=ENV, capture_output=True, text=True, timeout=TIMEOUT
    )
    assert done.returncode == 0, (done.stdout + done.stderr)[-4000:]


def test_two_ddp_ranks_read_disjoint_shares_that_together_cover_the_epoch(
    tmp_path: Path, store: str
) -> None:
    from colorization.data.photos.store import PhotoStore

    train_photos = PhotoStore(store).count("train")
    arguments = command(store, tmp_path / "record", "run_name=ddp", "trainer.max_epochs=1")
    run(tmp_path, [*arguments, "trainer.devices=2", "trainer.strategy=ddp", "data.batch_size=2"])
    shares = [
        [photo for line in recorded(tmp_path / "record", rank) for photo in line["photos"]]
        for rank in (0, 1)
    ]
    assert not set(shares[0]) & set(shares[1])
    assert len(shares[0]) == len(set(shares[0])) and len(shares[1]) == len(set(shares[1]))
    # LitData evens the shares out (each rank as many batches): at most one batch a rank short
    assert set(shares[0]) | set(shares[1]) <= set(range(train_photos))
    assert len(shares[0]) + len(shares[1]) >= train_photos - 2 * 2


def test_kill_9_mid_epoch_then_the_rerun_sees_the_photos_the_uninterrupted_run_sees(
    tmp_path: Path, store: str
) -> None:
    common = ["trainer.max_epochs=2", "callbacks.last_checkpoint.every_n_train_steps=3"]
    run(tmp_path, command(store, tmp_path / "full", "run_name=full", *common))
    full = {line["step"]: line["photos"] for line in recorded(tmp_path / "full")}

    checkpoint = tmp_path / "outputs" / "crash" / "checkpoints" / "last.ckpt"
    process = subprocess.Popen(
        command(store, tmp_path / "crash", "run_name=crash", *common),
        cwd=tmp_path,
        env=ENV,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + TIMEOUT
    while not checkpoint.exists() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    os.kill(process.pid, signal.SIGKILL)
    assert process.wait() == -signal.SIGKILL, "the run ended before it could be killed"
    killed_at = torch.load(checkpoint, weights_only=True)
    steps_per_epoch = len([step for step in full if step < len(full) // 2])
    assert 0 < killed_at["global_step"] < steps_per_epoch  # killed in the first epoch
    assert "combined_loader" in killed_at["loops"]["fit_loop"]["state_dict"]

    run(tmp_path, command(store, tmp_path / "crash", "run_name=crash", *common))
    lines = recorded(tmp_path / "crash")
    rerun_pid = lines[-1]["pid"]
    after = {line["step"]: line["photos"] for line in lines if line["pid"] == rerun_pid}
    assert min(after) == killed_at["global_step"]
    assert after == {step: photos for step, photos in full.items() if step >= min(after)}


def test_prepare_in_worker_processes_writes_the_store_it_writes_in_one(tmp_path: Path) -> None:
    """Described in a process pool and written by litdata.optimize's workers: item i of each
    split is still photo i, the same photos as in one process."""
    from colorization.data.photos.store import PhotoStore, split_dataset

    write_images(tmp_path / "photos", 24, size=(70, 50))
    here, _, _ = prepare([str(tmp_path / "photos")], tmp_path / "here", short_side=32)
    there, _, _ = prepare([str(tmp_path / "photos")], tmp_path / "there", short_side=32, workers=2)
    assert (Path(here) / "manifest.csv").read_text() == (Path(there) / "manifest.csv").read_text()
    for split in ("train", "val", "test"):
        dataset = split_dataset(there, split)
        assert [dataset[i]["index"] for i in range(len(dataset))] == list(range(len(dataset)))
        pairs = zip(PhotoStore(here).photos(split), PhotoStore(there).photos(split), strict=True)
        assert all(torch.equal(a.load(), b.load()) for a, b in pairs)
