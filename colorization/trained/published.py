"""``evaluate --protocol NAME``: a task's published evaluation protocol
(:mod:`colorization.tasks.published`) run on a trained run."""

from __future__ import annotations

import logging
from typing import Any

from omegaconf import OmegaConf

from colorization.build import build_datamodule
from colorization.errors import UserError
from colorization.tasks.plugin import TaskPlugin
from colorization.tasks.published import PublishedProtocol, run_protocol
from colorization.tasks.registry import task_plugins
from colorization.trained.run import TrainedRun, load_trained_task

log = logging.getLogger(__name__)


def published_protocol(plugin: TaskPlugin, name: str) -> PublishedProtocol:
    """The task's published protocol ``name``; a wrong name lists the task's protocols."""
    found = {protocol.name: protocol for protocol in plugin.evaluate.published}
    if name not in found:
        listed = ", ".join(found) or "none yet"
        raise UserError(
            f"--protocol {name}: not a protocol of the {plugin.name} task (its protocols: "
            f"{listed}; python -m colorization.evaluate --help lists them all)."
        )
    return found[name]


def evaluate_published(run: TrainedRun, protocol: PublishedProtocol) -> dict[str, Any]:
    """The account of ``protocol`` run on the trained task: its metric rows, its image rows
    (``images``), the test set, what it does and the papers it is comparable with."""
    task = load_trained_task(run)

    def run_test_images() -> Any:
        return build_datamodule(run.config).whole_test_images()

    result = run_protocol(protocol, task, run.config, run_test_images)
    for row in result.metrics:
        log.info("%s %s %s: %.4f", protocol.name, row["setting"], row["metric"], row["value"])
    for metric, reason in result.skipped.items():
        log.warning("%s: %s is not measured: %s", protocol.name, metric, reason)
    comparable = protocol.anchors
    if result.left_out:
        names = ", ".join(sorted(result.left_out)[:5])
        comparable = (
            f"not comparable: {len(result.left_out)} test images were left out ({names}), so "
            f"the set is not the one the published numbers ({protocol.anchors}) were measured on"
        )
        log.warning("%s: %s.", protocol.name, comparable)
    return {
        "checkpoint": str(run.checkpoint),
        "task": run.plugin.name,
        "test_set": OmegaConf.select(run.config, "data.test_root") or "the run's test images",
        "protocol_note": protocol.note(run.config),
        "papers": protocol.papers,
        "comparable_with": comparable,
        "skipped": result.skipped,
        "left_out_images": result.left_out,
        "metrics": result.metrics,
        "images": result.images,
    }


def protocols_help() -> str:
    """The published protocols of every task, for ``--help``."""
    lines = ["published protocols (--protocol NAME):"]
    for plugin in task_plugins().values():
        for protocol in plugin.evaluate.published:
            lines.append(f"  {protocol.name:<16} {plugin.name}: {protocol.papers}")
    return "\n".join(lines)
