"""Where a photo store lies: a local folder or a URL of an object store that LitData reads
(``s3://``, ``gs://``, ``r2://``, ...). Small files beside the splits (store.json,
manifest.csv) go through LitData's storage providers, so that both kinds work alike."""

from __future__ import annotations

import tempfile
from pathlib import Path

from colorization.data.formats import shown


def is_url(store: str) -> bool:
    return "://" in str(store)


def normalised(store: str | Path) -> str:
    """A URL as given; a folder with ``~`` expanded, absolute (LitData's loader workers and a
    resumed run find it from any working directory)."""
    store = str(store)
    return store.rstrip("/") if is_url(store) else str(Path(store).expanduser().absolute())


def join(store: str, name: str) -> str:
    return f"{store}/{name}" if is_url(store) else str(Path(store) / name)


def _provider(url: str):
    # LitData's own storage access (boto3 for s3://, ...), the one it streams the chunks with.
    from litdata.streaming.fs_provider import _get_fs_provider

    return _get_fs_provider(url)


def read_text(store: str, name: str, option: str) -> str:
    """The text of file ``name`` of the store; the error names the store and the fix."""
    fix = "Make one with python -m colorization.prepare <photo folders> --out DIR."
    if not is_url(store):
        path = Path(store) / name
        if not path.is_file():
            raise FileNotFoundError(
                f"{option}={shown(store)} is not a photo store (no {name}). {fix}"
            )
        return path.read_text(encoding="utf-8")
    with tempfile.TemporaryDirectory() as folder:
        local = Path(folder) / name
        try:
            _provider(store).download_file(join(store, name), str(local))
        except Exception as error:  # the providers raise their SDK's own types
            raise FileNotFoundError(
                f"{option}={store}: could not read {name} ({type(error).__name__}: {error}). "
                f"Check the URL and the credentials, or: {fix}"
            ) from None
        return local.read_text(encoding="utf-8")


def put(local: Path, store: str, name: str) -> None:
    """Copy a small file into the store (a folder: it is there already)."""
    if is_url(store):
        _provider(store).upload_file(str(local), join(store, name))
