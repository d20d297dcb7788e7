"""Parameter types shared by every command: whole numbers that fit the database, and replay targets.

IDs, version numbers, limits and offsets end up as SQL integer parameters; SQLite and PostgreSQL
store 64-bit integers, so a number past 2**63 - 1 used to reach the driver and come back as an
``OverflowError`` traceback. These types reject it while parsing, as a usage error (exit 2, one
line naming the option).
"""

from __future__ import annotations

import re
from typing import Any

import click

INT64_MAX = 2**63 - 1
_WHOLE_NUMBER = re.compile(r"^[+-]?\d+$")


class BoundedInt(click.ParamType):  # type: ignore[type-arg]  # generic only in click >= 8.2
    """A whole number in ``[low, high]``; ``high`` defaults to the largest value a database stores."""

    name = "integer"

    def __init__(self, low: int = 1, high: int = INT64_MAX, *, what: str = "number") -> None:
        self.low, self.high, self.what = low, high, what

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        if isinstance(value, int) and not isinstance(value, bool):
            number = value
        else:
            text = str(value).strip()
            if not _WHOLE_NUMBER.match(text) or len(text) > 40:
                self.fail(f"not {_article(self.what)} {self.what}: {str(value)[:40]!r}", param, ctx)
            number = int(text)
        if not self.low <= number <= self.high:
            shown = str(number) if len(str(number)) <= 25 else str(number)[:22] + "…"
            self.fail(f"not {_article(self.what)} {self.what}: {shown} (it must be {self.range_text()})", param, ctx)
        return number

    def range_text(self) -> str:
        def show(n: int) -> str:
            return {INT64_MAX: "2^63-1", -INT64_MAX - 1: "-2^63"}.get(n, str(n))

        return f"from {show(self.low)} to {show(self.high)}"

    def get_metavar(self, param: click.Parameter, ctx: click.Context | None = None) -> str:
        return "ID" if self.what.endswith("id") else "N"


def _article(word: str) -> str:
    return "an" if word[:1] in "aeiou" else "a"


ARTICLE_ID = BoundedInt(1, what="article id")
ID = BoundedInt(1, what="id")
# Any 64-bit value: 0 and negative numbers get the query's own message with the valid numbers.
VERSION_NUMBER = BoundedInt(-INT64_MAX - 1, what="version number")
OFFSET = BoundedInt(0, what="offset")


def limit(high: int = INT64_MAX) -> BoundedInt:
    """A page size or row cap: at least 1, at most ``high``."""
    return BoundedInt(1, high, what="limit")


_TARGET_NUMBER = re.compile(r"^(?:(capture|article):)?\s*([+-]?\d+)$")


class ReplayTarget(click.ParamType):  # type: ignore[type-arg]
    """``replay get``'s TARGET: an article ID, ``capture:ID``/``article:ID`` (range-checked like
    every ID), or a URL (passed through unchanged)."""

    name = "target"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        text = str(value).strip()
        match = _TARGET_NUMBER.match(text)
        if match:
            (ID if match.group(1) == "capture" else ARTICLE_ID).convert(match.group(2), param, ctx)
        return text
