"""What a trained network needs around it to be used on a photo: its task, its channels and the
task's own settings (a working size, tiles, classes, ...: the task plugin's
``inference_settings``). Read from a run's config, and written into an exported ONNX file's
metadata so that the file alone is enough to predict."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

from colorization.compat import exported_settings

SPEC_KEY = "colorization.spec"  # ONNX metadata key holding the spec as JSON
_COMMON = ("task", "in_channels", "out_channels", "model")


@dataclass(frozen=True)
class InferenceSpec:
    """Args:
    task: the task's name (its plugin says how to apply the network).
    in_channels / out_channels: of the network as exported (after any decoding).
    model: the network's class (its config ``_target_``), for the record.
    settings: the task's own settings, e.g. ``working_size`` (the shorter side photos are
        resized to), ``tile_size`` / ``tile_overlap``, ``scale``, ``num_classes``.
    """

    task: str
    in_channels: int
    out_channels: int
    model: str = ""
    settings: dict[str, Any] = field(default_factory=dict)

    def setting(self, name: str, default: Any = None) -> Any:
        value = self.settings.get(name)
        return default if value is None else value

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> InferenceSpec:
        """The spec of an exported file; files of 0.x kept the task's settings beside the
        common fields, and are read the same way."""
        data: dict[str, Any] = json.loads(text)
        if not isinstance(data, dict) or not {"task", "in_channels", "out_channels"} <= set(data):
            raise ValueError(
                "The model's metadata does not describe a network (task, channels): export it "
                "again with python -m colorization.export."
            )
        settings = exported_settings(data, _COMMON)
        common = {k: data[k] for k in _COMMON if k in data}
        return cls(**common, settings=settings)
