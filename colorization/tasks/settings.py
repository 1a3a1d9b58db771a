"""The settings a task is tested at: typed for the code that applies them, named for the files
and the report; and the checked option values that give them.

Light on purpose (no torch): the plugins' options are built from it before a command imports
anything heavy, so a bad value stops in one line naming its flag before a checkpoint is read.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Setting:
    """One setting a protocol is run at.

    Args:
        value: what the protocol's code uses (a noise level, a hint density, a number of
            hints, a scale); None: the task as trained.
        text: how the evaluation files name it (their ``setting`` column: ``sigma 15``).
        label: how the report's columns name it (``@sigma15`` in ``test psnr @sigma15``);
            "" for none. Each setting of a protocol has its own, so no two rows share a column.
    """

    value: Any = None
    text: str = ""
    label: str = ""


AS_TRAINED = Setting()


def metric_rows(
    protocol: str, setting: Setting, metrics: Mapping[str, float], summary: bool = True
) -> list[dict[str, Any]]:
    """The rows of ``evaluation.json`` for one protocol at one setting. ``label`` names the
    report's column; ``summary``: whether the report's Markdown table shows it (its CSV shows
    every row)."""
    return [
        {
            "protocol": protocol,
            "setting": setting.text,
            "label": setting.label,
            "summary": summary,
            "metric": name,
            "value": value,
        }
        for name, value in sorted(metrics.items())
    ]


@dataclass(frozen=True)
class OptionValue(Generic[T]):
    """A checked value of a command-line option, given to argparse as ``type=``: a bad value
    stops while the command line is read, in one line naming the flag (``argument --sigmas:
    '300' is not ...``). Python callers check their values with :meth:`checked`.

    Args:
        flag: the option (``--sigmas``), named by :meth:`checked`'s errors.
        parse: text -> value (``float``, ``int``).
        valid: whether a parsed value is allowed.
        expected: what an allowed value is, for the error (``a noise level in [0, 255]``).
    """

    flag: str
    parse: Callable[[str], T]
    valid: Callable[[T], bool]
    expected: str

    @property
    def __name__(self) -> str:  # argparse names the type in some of its messages
        return self.flag

    def __call__(self, text: Any) -> T:
        try:
            value = self.parse(str(text))
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not {self.expected}") from None
        if not self.valid(value):
            raise argparse.ArgumentTypeError(f"{text!r} is not {self.expected}")
        return value

    def checked(self, values: Iterable[Any]) -> list[T]:
        """``values`` as a Python caller gives them (``evaluate(run, sigmas=[15])``), each
        checked; a ValueError names the flag."""
        try:
            return [self(value) for value in values]
        except argparse.ArgumentTypeError as error:
            raise ValueError(f"{self.flag}: {error}.") from None
