"""evaluation.json / .csv / _images.csv: the task's own evaluation and each published protocol
keep their rows side by side; writing one replaces only its own."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from colorization.trained.evaluation_files import write_evaluation


def own(value: float) -> tuple[dict, list[dict]]:
    row = {"protocol": "whole_images", "setting": "", "metric": "psnr", "value": value}
    image = {"protocol": "whole_images", "setting": "", "image": "a", "index": 0, "psnr": value}
    return {"task": "superres", "metrics": [row]}, [image]


def published(value: float) -> tuple[dict, list[dict]]:
    row = {"protocol": "sr-benchmark", "setting": "x2", "metric": "psnr", "value": value}
    image = {"protocol": "sr-benchmark", "setting": "x2", "image": "a", "index": 0, "psnr": value}
    return {"papers": "RDN", "metrics": [row]}, [image]


def values(folder: Path) -> dict[str, float]:
    result = json.loads((folder / "evaluation.json").read_text())
    return {row["protocol"]: row["value"] for row in result["metrics"]}


def image_rows(folder: Path) -> list[tuple[str, str]]:
    with open(folder / "evaluation_images.csv", newline="") as handle:
        return [(row["protocol"], row["psnr"]) for row in csv.DictReader(handle)]


def test_each_evaluation_replaces_only_its_own_rows(tmp_path: Path) -> None:
    write_evaluation(*own(20.0), tmp_path)
    write_evaluation(*published(30.0), tmp_path, "sr-benchmark")
    assert values(tmp_path) == {"whole_images": 20.0, "sr-benchmark": 30.0}
    write_evaluation(*own(21.0), tmp_path)
    write_evaluation(*published(31.0), tmp_path, "sr-benchmark")
    assert values(tmp_path) == {"whole_images": 21.0, "sr-benchmark": 31.0}
    assert sorted(image_rows(tmp_path)) == [("sr-benchmark", "31.0"), ("whole_images", "21.0")]
    result = json.loads((tmp_path / "evaluation.json").read_text())
    assert result["task"] == "superres" and result["published"]["sr-benchmark"]["papers"] == "RDN"
    assert "metrics" not in result["published"]["sr-benchmark"]


def test_a_published_protocol_alone_and_damaged_earlier_results(tmp_path: Path) -> None:
    write_evaluation(*published(30.0), tmp_path, "sr-benchmark")
    assert values(tmp_path) == {"sr-benchmark": 30.0}
    (tmp_path / "evaluation.json").write_text("{not json")
    write_evaluation(*own(20.0), tmp_path)  # replaced, with a warning
    assert values(tmp_path) == {"whole_images": 20.0}
