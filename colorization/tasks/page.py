"""What every task's interactive page (``python -m colorization.app``) is made of: the photos
kept between updates (in a byte budget), the options a page offers, and the service the web
layer calls.

A task's ``page`` hook (:class:`~colorization.tasks.plugin.TaskPlugin`) returns a
:class:`PageService` subclass: it says what the page shows (:class:`PageLayout`: its title,
controls, legend) and turns a kept photo, hint points and option values into a
:class:`PageResult`. The web page (``colorization/app/static/index.html``) draws whatever the
layout declares and names no task.
"""

from __future__ import annotations

import base64
import dataclasses
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch
from torchvision.transforms.v2 import functional as TF

from colorization.data.images import png_data_url

MAX_SIDE = 1600  # larger uploads are scaled down: each update stays interactive on a CPU
# Memory for the photos kept between updates (least recently used dropped first): a byte budget,
# not a count, so that many users with small photos keep theirs.
KEPT_BYTES = 512 * 2**20
# Networks applied in tiles run the page's photos in tiles of at least this many input pixels:
# a 512 px photo in one pass (the default UNet on 2 cores: 0.24 s, against 0.54 s in 256 px tiles
# with their overlaps; docs/predict.md); larger photos still go in tiles.
PAGE_TILE = 512


@dataclass(frozen=True)
class PageOption:
    """A choice the page offers beside the photo (a drop-down list): ``choices`` are
    (value, label) pairs."""

    name: str
    label: str
    choices: tuple[tuple[str, str], ...]
    default: str

    def chosen(self, options: Mapping[str, Any]) -> str:
        value = str(options.get(self.name, self.default))
        values = [choice for choice, _ in self.choices]
        if value not in values:
            raise ValueError(f"{self.label}: {value!r} is not one of {', '.join(values)}.")
        return value


@dataclass(frozen=True)
class PageLayout:
    """What the page shows for a model: ``result_name`` names the downloaded file
    (``<photo>_<result_name>.png``); ``hints``: the input takes colour hint points (clicked or
    painted); ``facts``: lines about the model; ``legend``: (name, colour) of what a layer
    shows (segmentation's classes)."""

    title: str
    input_label: str
    output_label: str
    result_name: str
    hints: bool = False
    options: tuple[PageOption, ...] = ()
    facts: tuple[str, ...] = ()
    legend: tuple[tuple[str, str], ...] = ()

    def as_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass
class Download:
    label: str
    suffix: str  # the file is <photo>_<suffix>
    url: str  # a data URL


@dataclass
class PageResult:
    """One update. ``after``: the result (uint8 (3, H, W)); ``before``: what it is compared with
    on the slider, of the same size (None: the photo as the input panel shows it); ``shown``:
    the input panel's new image when the input is not the photo as kept (noise added, shrunk);
    ``layer``: RGBA drawn over ``after`` at the page's opacity; ``downloads`` beyond the result;
    ``note``: one line (e.g. PSNRs); ``extra``: more JSON for scripts."""

    after: torch.Tensor
    before: torch.Tensor | None = None
    shown: torch.Tensor | None = None
    layer: torch.Tensor | None = None
    result: Download | None = None  # the main download (default: ``after`` as a PNG)
    downloads: list[Download] = field(default_factory=list)
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def text_data_url(text: str, media_type: str = "application/json") -> str:
    return f"data:{media_type};base64," + base64.b64encode(text.encode()).decode()


def tensor_bytes(kept: Any) -> int:
    """Bytes of the tensors a kept photo holds (itself, or its fields)."""
    if isinstance(kept, torch.Tensor):
        return kept.numel() * kept.element_size()
    values = vars(kept).values() if hasattr(kept, "__dict__") else ()
    return sum(tensor_bytes(value) for value in values if isinstance(value, torch.Tensor))


@dataclass
class KeptPhoto:
    kept: Any  # what the task keeps of the photo (:meth:`PageService.prepare`)
    width: int
    height: int
    bytes: int


class PageService:
    """Keeps photos and applies the task to them. Thread-safe: the web server calls it from a
    pool of threads; one update runs at a time (the network uses every core, and the memory
    of concurrent users stays that of one update)."""

    layout = PageLayout("Try the model", "Input", "Output", "result")

    def __init__(self, max_side: int = MAX_SIDE, kept_bytes: int = KEPT_BYTES) -> None:
        self.max_side = max_side
        self.kept_bytes = kept_bytes
        self.photos: OrderedDict[str, KeptPhoto] = OrderedDict()
        self.lock = threading.Lock()
        self.running = threading.Lock()

    # What a task's page defines.
    def prepare(self, image: torch.Tensor) -> Any:
        """What is kept of an uploaded photo (uint8 (3, H, W)) between updates."""
        return image

    def shown(self, kept: Any) -> torch.Tensor:
        """The input panel's image of a kept photo, uint8 (C, H, W)."""
        return kept

    def sample(self, image: torch.Tensor, name: str) -> torch.Tensor:
        """A built-in photo made into what the task works on (a flare added, ...)."""
        return image

    def apply(
        self, kept: Any, height: int, width: int, points: list[dict], options: Mapping[str, str]
    ) -> PageResult:
        raise NotImplementedError

    # What the web layer calls.
    def add_photo(self, image: torch.Tensor) -> dict[str, Any]:
        """Keep a photo (uint8 (3, H, W)); returns its id, size and the input panel's image."""
        height, width = image.shape[-2:]
        scaled_from = None
        if max(height, width) > self.max_side:
            scale = self.max_side / max(height, width)
            scaled_from = [width, height]
            image = TF.resize(image, [round(height * scale), round(width * scale)], antialias=True)
            height, width = image.shape[-2:]
        with self.running:
            kept = self.prepare(image)
            shown = png_data_url(self.shown(kept))
        photo_id = uuid.uuid4().hex
        with self.lock:
            self.photos[photo_id] = KeptPhoto(kept, width, height, tensor_bytes(kept))
            while len(self.photos) > 1 and self.kept() > self.kept_bytes:
                self.photos.popitem(last=False)
        return {
            "photo": photo_id,
            "width": width,
            "height": height,
            "scaled_from": scaled_from,
            "input": shown,
        }

    def kept(self) -> int:
        """Bytes the kept photos take."""
        return sum(photo.bytes for photo in self.photos.values())

    def photo(self, photo_id: str) -> KeptPhoto:
        with self.lock:
            if photo_id not in self.photos:
                raise KeyError(f"Photo {photo_id} is not (or no longer) here: upload it again.")
            self.photos.move_to_end(photo_id)
            return self.photos[photo_id]

    def checked_options(self, options: Mapping[str, Any]) -> dict[str, str]:
        known = {option.name for option in self.layout.options}
        unknown = sorted(set(options) - known)
        if unknown:
            raise ValueError(f"Unknown option {unknown[0]!r}; this page has: {sorted(known)}.")
        return {option.name: option.chosen(options) for option in self.layout.options}

    def update(
        self,
        photo_id: str,
        points: Sequence[dict[str, Any]] = (),
        options: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Apply the task to a kept photo; returns the images as data URLs and the seconds from
        the request to the encoded images (what the page waits for)."""
        photo = self.photo(photo_id)
        chosen = self.checked_options(options or {})
        if points and not self.layout.hints:
            raise ValueError("This model takes no hints: send no points.")
        start = time.perf_counter()
        with self.running:
            result = self.apply(photo.kept, photo.height, photo.width, list(points), chosen)
        encoded = png_data_url(result.after)
        main = result.result or Download("Download result", self.layout.result_name, encoded)
        answer = {
            "after": encoded,
            "before": None if result.before is None else png_data_url(result.before),
            "input": None if result.shown is None else png_data_url(result.shown),
            "layer": None if result.layer is None else png_data_url(result.layer),
            "image": main.url,
            "downloads": [dataclasses.asdict(d) for d in (main, *result.downloads)],
            "note": result.note,
            **result.extra,
        }
        answer["seconds"] = round(time.perf_counter() - start, 4)
        return answer
