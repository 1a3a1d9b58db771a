"""python -m colorization.evaluate's overrides: read as ``train`` reads them."""

from __future__ import annotations

import pytest

from colorization.errors import UserError
from colorization.evaluate import parsed_override


@pytest.mark.parametrize(
    ("override", "expected"),
    [
        ("loss.temperature=0.38", ("loss.temperature", 0.38)),
        ("task.tile_size=64", ("task.tile_size", 64)),
        ("data.test_root=/photos/test", ("data.test_root", "/photos/test")),
        ("data.test_root=null", ("data.test_root", None)),
        ("task.baselines=[levin]", ("task.baselines", ["levin"])),
    ],
)
def test_override_values_get_their_types(override: str, expected: tuple) -> None:
    assert parsed_override(override) == expected


@pytest.mark.parametrize("override", ["data.test_root", "=3", "task.tile_size=32,64", "~loss"])
def test_what_is_not_one_key_and_value_is_refused(override: str) -> None:
    with pytest.raises(UserError, match="is not key=value"):
        parsed_override(override)
