"""Every user command answers --help (exit 0, its usage) without training anything."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

# Commands with an argparse main(argv): asked in this process (a subprocess each costs seconds
# of imports). train is a Hydra app: asked as a user would, once.
ARGPARSE_COMMANDS = ["evaluate", "report", "predict", "export", "app", "bench"]


@pytest.mark.parametrize("command", ARGPARSE_COMMANDS)
def test_every_command_has_help(command: str, capsys, monkeypatch) -> None:
    module = importlib.import_module(f"colorization.{command}")
    main = (
        getattr(module, "main", None) or importlib.import_module(f"{module.__name__}.__main__").main
    )
    with pytest.raises(SystemExit) as exit_:
        main(["--help"])
    assert exit_.value.code == 0
    assert (
        f"colorization.{command}" in capsys.readouterr().out or "usage" in capsys.readouterr().out
    )


def test_train_and_models_have_help(monkeypatch, capsys) -> None:
    from colorization.models.__main__ import main

    monkeypatch.setattr(sys, "argv", ["python -m colorization.models", "--help"])
    with pytest.raises(SystemExit) as exit_:
        main()
    assert exit_.value.code == 0
    assert capsys.readouterr().out.startswith("usage: python -m colorization.models")

    result = subprocess.run(
        [sys.executable, "-m", "colorization.train", "--help"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "hparams_search: colorization_optuna" in result.stdout


@pytest.mark.parametrize("task", ["segmentation", "flare"])
def test_the_app_serves_a_trained_run_of_another_task(trained_runs, task) -> None:
    from fastapi.testclient import TestClient

    from colorization.app.__main__ import argument_parser, build_service, sample_loaders
    from colorization.app.server import create_app

    service, model = build_service(argument_parser().parse_args([str(trained_runs[task])]))
    app = create_app(service, model, samples=sample_loaders())
    client = TestClient(app, base_url="http://localhost")
    assert client.get("/api/model").json()["task"] == task
    photo_id = client.post("/api/samples/chelsea").json()["photo"]
    answer = client.post("/api/update", json={"photo": photo_id})
    assert answer.status_code == 200 and answer.json()["after"].startswith("data:image/png")


def test_the_app_measures_an_update(trained_runs, capsys) -> None:
    from colorization.app.__main__ import main

    main([str(trained_runs["colorization"]), "--measure"])
    expected = "512 px photo, 20 hints, colorization UNet (working size 64 px) on cpu: median"
    assert expected in capsys.readouterr().out


@pytest.mark.slow
def test_the_app_serves_an_onnx_export(trained_runs, tmp_path) -> None:
    from fastapi.testclient import TestClient

    from colorization.app.__main__ import argument_parser, build_service, sample_loaders
    from colorization.app.server import create_app
    from colorization.export import export

    export(trained_runs["flare"], tmp_path / "flare.onnx")
    args = argument_parser().parse_args(["--onnx", str(tmp_path / "flare.onnx")])
    service, model = build_service(args)
    assert (model["task"], model["source"]) == ("flare", str(tmp_path / "flare.onnx"))
    client = TestClient(
        create_app(service, model, samples=sample_loaders()), base_url="http://localhost"
    )
    photo_id = client.post("/api/samples/coffee").json()["photo"]
    answer = client.post("/api/update", json={"photo": photo_id})
    assert answer.status_code == 200 and answer.json()["after"].startswith("data:image/png")
