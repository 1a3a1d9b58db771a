"""The one place that knows a run folder's layout.

A named run (``run_name=exp1``) always writes to ``<paths.log_dir>/<run_name>`` so that starting
it again resumes; an unnamed run gets ``<log_dir>/<task>/runs/<date>_<time>``. Inside::

    <run>/checkpoints/last.ckpt      newest state (every epoch and every N steps)
    <run>/checkpoints/epoch=...ckpt  best checkpoints by the task's monitored metric
    <run>/hpc_ckpt_<n>.ckpt          saved by Lightning's SLURM auto-requeue (SIGUSR1)
    <run>/.hydra/config.yaml         the config it was first trained with (overrides.yaml: the
                                     command line; overrides_history.yaml: each resume's)
    <run>/.lock                      held by the process training in it
    <run>/archive/<date>_<time>/     earlier attempts, moved there by resume=false
    <run>/tensorboard/               TensorBoard events
    <run>/trackers.json              the MLflow / W&B run ids a resumed run continues
    <run>/wandb/                     W&B's files (offline runs, for wandb sync)
    <run>/previews/epoch_XXX.png     validation preview grids
    <run>/history.csv                one row per validation: metrics, images/s, training time
    <run>/evaluation.json, .csv      test metrics (python -m colorization.evaluate)
    <run>/evaluation_images.csv      each test image's scores, per protocol (the same)

The callback and logger YAMLs write to these same paths (``${paths.output_dir}/checkpoints``,
...); a test composes them and checks that they agree with :class:`RunFolder`.
"""

from __future__ import annotations

from pathlib import Path


def check_run_name(run_name: object) -> str:
    """``run_name`` if it is a name: one folder inside ``paths.log_dir`` (no ``..``, no separator,
    not absolute, no leading dot), else one line saying what to give instead."""
    name = str(run_name)
    if name in (".", "..") or name.startswith(".") or "/" in name or "\\" in name or "\0" in name:
        raise ValueError(
            f"Invalid config: run_name={name} is no name (it would leave or hide in "
            "paths.log_dir): give a plain folder name such as run_name=exp1; to write elsewhere, "
            "set paths.log_dir."
        )
    return name


def run_dir(log_dir: str, run_name: str | None, task: str, timestamp: str) -> str:
    """The run folder Hydra creates (the ``run_dir`` resolver in ``conf/hydra/default.yaml``)."""
    if run_name:
        return f"{log_dir}/{check_run_name(run_name)}"
    return f"{log_dir}/{task}/runs/{timestamp}"


def slug(name: str) -> str:
    """Metric name to a file-name-safe tag (checkpoint names): ``val/psnr`` -> ``val_psnr``."""
    return str(name).replace("/", "_")


def register_run_resolvers() -> None:
    """The resolvers the configs use to name a run's folder and files (``run_dir``, ``slug``);
    called where a config is composed or read, never at import."""
    from omegaconf import OmegaConf

    for name, function in (("slug", slug), ("run_dir", run_dir)):
        if not OmegaConf.has_resolver(name):
            OmegaConf.register_new_resolver(name, function)


CONFIG_FILE = Path(".hydra", "config.yaml")  # what makes a folder a run folder


class RunFolder:
    """The paths of one run, from its root folder."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self.checkpoints = self.root / "checkpoints"
        self.last_checkpoint = self.checkpoints / "last.ckpt"
        self.config = self.root / CONFIG_FILE
        self.overrides = self.root / ".hydra" / "overrides.yaml"
        self.history = self.root / ".hydra" / "overrides_history.yaml"
        self.lock = self.root / ".lock"
        self.archive = self.root / "archive"
        self.tensorboard = self.root / "tensorboard"
        self.previews = self.root / "previews"
        self.csv = self.root / "csv"
        self.trackers = self.root / "trackers.json"
        self.wandb = self.root / "wandb"
        self.epoch_history = self.root / "history.csv"
        self.evaluation = self.root / "evaluation.json"
        self.evaluation_images = self.root / "evaluation_images.csv"

    def checkpoint_files(self) -> list[Path]:
        """Every checkpoint a resume may start from: ``checkpoints/*.ckpt``, and those that
        Lightning's SLURM auto-requeue writes to the run folder itself."""
        return [*self.checkpoints.glob("*.ckpt"), *self.requeue_checkpoints()]

    def requeue_checkpoints(self) -> list[Path]:
        """``hpc_ckpt_<n>.ckpt``: what Lightning's SLURM auto-requeue saves in the run folder."""
        return list(self.root.glob("hpc_ckpt_*.ckpt"))

    @property
    def archived_parts(self) -> list[Path]:
        """What ``resume=false`` moves aside: everything an attempt of the run wrote."""
        return [
            self.checkpoints,
            *self.requeue_checkpoints(),
            self.config.parent,
            self.tensorboard,
            self.previews,
            self.csv,
            self.trackers,
            self.wandb,
            self.epoch_history,
            self.evaluation,
            self.evaluation.with_suffix(".csv"),
            self.evaluation_images,
        ]

    @classmethod
    def of_checkpoint(cls, checkpoint: str | Path) -> RunFolder:
        """The run a checkpoint file belongs to (``<run>/checkpoints/<name>.ckpt``)."""
        return cls(Path(checkpoint).resolve().parent.parent)


def find_run_folders(folder: Path) -> list[Path]:
    """Run folders under ``folder`` (itself included), sorted; archived attempts skipped."""
    found = [p.parents[len(CONFIG_FILE.parts) - 1] for p in folder.rglob(str(CONFIG_FILE))]
    return sorted(p for p in found if "archive" not in p.relative_to(folder).parts)
