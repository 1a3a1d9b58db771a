"""colorization.lightning_compat: each use of a Lightning internal still does what we rely on.

A Lightning upgrade that moves one of them fails here, by name, not inside a training run.
"""

from __future__ import annotations

import inspect
import os
import re
import sys
from pathlib import Path

import pytest
import pytorch_lightning as pl
import torch
from packaging.specifiers import SpecifierSet
from pytorch_lightning.callbacks import ModelCheckpoint
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from colorization.callbacks.checkpoint import SafeModelCheckpoint
from colorization.lightning_compat import (
    CHECKPOINT_SAVE_HOOK,
    TESTED_LIGHTNING,
    act_on_stop_only_when,
    config_flags,
    ddp_launch_scope,
    hydra_job_command,
    logs_this_step,
    loss_scaler,
    record_checkpoint_saved,
    request_stop,
    shutdown_loader_workers,
    start_ranks_as_hydra_jobs,
    step_without_counting,
)

REPO = Path(__file__).resolve().parents[2]


def tiny_trainer(tmp_path: Path, **kwargs) -> pl.Trainer:
    return pl.Trainer(
        accelerator="cpu",
        logger=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        default_root_dir=tmp_path,
        **kwargs,
    )


def loader() -> DataLoader:
    return DataLoader(TensorDataset(torch.randn(8, 2)), batch_size=2)


class TwoNetworks(pl.LightningModule):
    """Manual optimisation stepping the second optimizer with ``step_without_counting``."""

    def __init__(self) -> None:
        super().__init__()
        self.first, self.second = nn.Linear(2, 1), nn.Linear(2, 1)
        self.automatic_optimization = False

    def training_step(self, batch, batch_idx):
        first, second = self.optimizers()
        (x,) = batch
        self.manual_backward(self.first(x).pow(2).mean() + self.second(x).pow(2).mean())
        first.step()
        step_without_counting(self.trainer, second.optimizer, self)
        first.zero_grad()
        second.zero_grad()

    def configure_optimizers(self):
        sgd = torch.optim.SGD
        return [sgd(self.first.parameters(), lr=0.1), sgd(self.second.parameters(), lr=0.1)]


def test_the_second_optimizer_steps_without_counting_a_global_step(tmp_path: Path) -> None:
    module = TwoNetworks()
    before = module.second.weight.detach().clone()
    trainer = tiny_trainer(tmp_path, max_epochs=1, enable_checkpointing=False)
    trainer.fit(module, train_dataloaders=loader())
    assert trainer.global_step == 4  # 4 batches: only the first optimizer's steps count
    assert not torch.equal(module.second.weight, before)


class OneNetwork(pl.LightningModule):
    def __init__(self) -> None:
        super().__init__()
        self.layer = nn.Linear(2, 1)

    def training_step(self, batch, batch_idx):
        return self.layer(batch[0]).pow(2).mean()

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=0.1)


def test_lightning_saves_through_the_hook_that_safe_checkpoints_override(tmp_path: Path) -> None:
    assert CHECKPOINT_SAVE_HOOK in SafeModelCheckpoint.__dict__
    parameters = list(inspect.signature(getattr(ModelCheckpoint, CHECKPOINT_SAVE_HOOK)).parameters)
    assert parameters == ["self", "trainer", "filepath"]
    callback = SafeModelCheckpoint(dirpath=tmp_path, filename="last", every_n_epochs=1)
    trainer = tiny_trainer(tmp_path, max_epochs=2, callbacks=[callback])
    trainer.fit(OneNetwork(), train_dataloaders=loader())
    assert (tmp_path / "last.ckpt").is_file()
    assert not list(tmp_path.glob("*.partial"))
    # what record_checkpoint_saved keeps up to date, as Lightning's own save does
    assert callback._last_global_step_saved == trainer.global_step
    assert callback._last_checkpoint_saved == str(tmp_path / "last.ckpt")


def test_recorded_saves_stop_lightning_saving_twice_at_one_step(tmp_path: Path) -> None:
    callback = ModelCheckpoint(dirpath=tmp_path)
    trainer = tiny_trainer(tmp_path, max_steps=1, callbacks=[callback])
    trainer.fit(OneNetwork(), train_dataloaders=loader())
    record_checkpoint_saved(callback, trainer, str(tmp_path / "x.ckpt"))
    assert callback._should_skip_saving_checkpoint(trainer)


def test_loader_workers_shut_down(tmp_path: Path) -> None:
    workers = DataLoader(
        TensorDataset(torch.randn(8, 2)), batch_size=2, num_workers=1, persistent_workers=True
    )
    next(iter(workers))
    processes = list(workers._iterator._workers)
    assert processes and all(process.is_alive() for process in processes)
    shutdown_loader_workers(workers)
    assert not any(process.is_alive() for process in processes)
    shutdown_loader_workers(loader())  # a loader that never started: nothing to do


def test_a_worker_dying_at_shutdown_is_logged_not_raised(caplog) -> None:
    class Iterator:
        def __init__(self, message: str) -> None:
            self.message = message

        def _shutdown_workers(self) -> None:
            raise RuntimeError(self.message)

    class Loader:
        def __init__(self, message: str) -> None:
            self._iterator = Iterator(message)

    died = "DataLoader worker (pid 7) is killed by signal: Aborted. "
    shutdown_loader_workers(Loader(died))
    assert "died while shutting down" in caplog.text and "pid 7" in caplog.text
    with pytest.raises(RuntimeError, match="something else"):
        shutdown_loader_workers(Loader("something else"))


class RecordsLoggingSteps(pl.LightningModule):
    def __init__(self) -> None:
        super().__init__()
        self.layer = nn.Linear(2, 1)
        self.seen: list[bool] = []

    def training_step(self, batch, batch_idx):
        self.seen.append(logs_this_step(self.trainer))
        return self.layer(batch[0]).pow(2).mean()

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=0.1)


def test_logging_steps_are_every_log_every_n_steps(tmp_path: Path) -> None:
    module = RecordsLoggingSteps()
    tiny_trainer(tmp_path, max_epochs=1, log_every_n_steps=2).fit(module, loader())
    assert module.seen == [False, True, False, True]


def test_a_stop_request_is_acted_on_only_when_allowed(tmp_path: Path) -> None:
    trainer = tiny_trainer(tmp_path)
    allowed = [False]
    act_on_stop_only_when(trainer, lambda: allowed[0])
    request_stop(trainer)
    assert not trainer.received_sigterm  # what Lightning's loops read
    allowed[0] = True
    assert trainer.received_sigterm
    act_on_stop_only_when(trainer, None)
    allowed[0] = False
    assert trainer.received_sigterm and type(trainer._signal_connector).__name__ != "DeferredStop"


def test_the_loss_scaler_is_found_under_16_mixed_only(tmp_path: Path) -> None:
    from pytorch_lightning.plugins.precision import MixedPrecision

    assert loss_scaler(tiny_trainer(tmp_path, precision="bf16-mixed")) is None
    assert loss_scaler(tiny_trainer(tmp_path)) is None
    scaler = torch.amp.GradScaler("cpu")
    plugin = MixedPrecision("16-mixed", "cpu", scaler=scaler)
    assert loss_scaler(tiny_trainer(tmp_path, plugins=[plugin])) is scaler


def test_installed_lightning_is_in_the_tested_range_and_pyproject_says_so() -> None:
    assert pl.__version__ in SpecifierSet(TESTED_LIGHTNING)
    declared = re.search(r'"pytorch-lightning([^"]*)"', (REPO / "pyproject.toml").read_text())
    assert declared is not None and SpecifierSet(declared[1]) == SpecifierSet(TESTED_LIGHTNING)


def test_config_flags_keep_where_the_config_is_and_drop_the_rest() -> None:
    argv = ["-m", "--config-dir", "mine", "-cn=train", "model=unet,res_unet", "--multirun"]
    assert config_flags(argv) == ["--config-dir", "mine", "-cn=train"]


def test_ranks_of_a_multirun_job_start_that_job_not_the_sweep(tmp_path: Path, monkeypatch) -> None:
    """Lightning would repeat the parent's command line (``-m`` and the whole sweep) in every
    rank; the command of rank 1 is the job's own overrides, in the job's folder."""
    from hydra import compose, initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra
    from hydra.core.hydra_config import HydraConfig
    from omegaconf import open_dict

    from colorization.config import config_dir

    monkeypatch.setattr("sys.argv", ["x", "-m", "model=unet,res_unet", "trainer.devices=2"])
    GlobalHydra.instance().clear()
    job = ["model=res_unet", "trainer.devices=2"]
    with initialize_config_dir(str(config_dir()), version_base="1.3"):
        cfg = compose("train", overrides=job, return_hydra_config=True)
    with open_dict(cfg):
        cfg.hydra.runtime.output_dir = str(tmp_path / "multiruns" / "1")
        cfg.hydra.runtime.cwd = str(tmp_path)
        cfg.hydra.overrides.hydra = ["hydra.mode=MULTIRUN", "hydra.job.chdir=false"]
    HydraConfig.instance().set_config(cfg)
    command, cwd = hydra_job_command(local_rank=1)
    start = command.index(job[0])
    assert command[0] == sys.executable and len(command[:start]) in (2, 3)  # script or -m module
    arguments = command[start:]
    assert arguments[:2] == job and "model=unet,res_unet" not in arguments
    assert "-m" not in arguments and "hydra.mode=MULTIRUN" not in arguments
    assert "hydra.job.chdir=false" in arguments
    assert f'hydra.run.dir="{tmp_path / "multiruns" / "1"}"' in arguments
    assert "hydra.job.name=train_ddp_process_1" in arguments and cwd == str(tmp_path)


def test_lightnings_launcher_builds_rank_commands_with_ours() -> None:
    import pytorch_lightning.strategies.launchers.subprocess_script as launcher

    start_ranks_as_hydra_jobs()
    assert launcher._hydra_subprocess_cmd is hydra_job_command


def test_the_next_job_of_a_multirun_finds_no_launch_left_behind(tmp_path: Path, monkeypatch):
    """What a DDP launch writes into the environment, and its process group, end with the job."""
    import torch.distributed as dist

    monkeypatch.delenv("LOCAL_RANK", raising=False)
    monkeypatch.setenv("MASTER_PORT", "1234")
    with ddp_launch_scope():
        os.environ["LOCAL_RANK"] = "0"
        os.environ["MASTER_PORT"] = "5678"
        dist.init_process_group(
            "gloo", init_method=f"file://{tmp_path / 'store'}", rank=0, world_size=1
        )
    assert "LOCAL_RANK" not in os.environ and os.environ["MASTER_PORT"] == "1234"
    assert not dist.is_initialized()


def test_the_data_modules_lightning_internals_are_there() -> None:
    from colorization.lightning_compat import UnrepeatedDistributedSampler, pl_worker_init_function

    sampler = UnrepeatedDistributedSampler(list(range(5)), num_replicas=2, rank=1, shuffle=False)
    assert list(sampler) == [1, 3]  # no image repeated to even out the ranks
    assert callable(pl_worker_init_function)
