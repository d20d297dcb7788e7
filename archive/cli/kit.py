"""Shared pieces of the ``pressclips`` commands: one-line errors, the archive options, opening an
archive for one command, dates, and the whole-number parameter types. Command modules import from
here (and from ``output``), never from each other.

IDs, version numbers, limits and offsets end up as SQL integer parameters; SQLite and PostgreSQL
store 64-bit integers, so a number past 2**63 - 1 used to reach the driver and come back as an
``OverflowError`` traceback. ``BoundedInt`` rejects it while parsing, as a usage error (exit 2, one
line naming the option).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from archive.config import ArchiveConfig
from archive.errors import ConfigError, NoArchiveError, PressclipsError
from archive.times import RELATIVE_UNITS, is_whole_day, parse_user_date

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from archive.warc.damage import SkipLedger

F = TypeVar("F", bound=Callable[..., Any])
INT64_MAX = 2**63 - 1
_WHOLE_NUMBER = re.compile(r"^[+-]?\d+$")
_DATE_ONLY = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")


def fail(message: str, code: int, hint: str | None = None) -> None:
    click.echo(f"pressclips: error: {message}" + (f" (hint: {hint})" if hint else ""), err=True)
    sys.exit(code)


def friendly(fn: F) -> F:
    """Turn pressclips errors into one line on stderr and the matching exit code."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except PressclipsError as exc:
            fail(str(exc), exc.exit_code, exc.hint)
        except BrokenPipeError:
            sys.exit(0)
        except KeyboardInterrupt:
            fail("interrupted", 130)

    return wrapper  # type: ignore[return-value]


def warn(line: str) -> None:
    click.echo(f"pressclips: warning: {line}", err=True)


strict_option = click.option(
    "--strict", is_flag=True,
    help="Abort at the first unreadable WARC record (exit 1) instead of skipping it with a warning per file.")


def skip_ledger(strict: bool) -> SkipLedger:
    """Where a command's unreadable records go: one warning line per file on stderr, or abort."""
    from archive.warc.damage import SkipLedger

    return SkipLedger(strict=strict, warn=warn)


archive_option = click.option(
    "--archive", "archive_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
    help="Archive directory (database + WARCs). Default: $PRESSCLIPS_ARCHIVE or ~/.local/share/pressclips.")
database_option = click.option(
    "--database-url", default=None, help="SQLAlchemy URL instead of the archive's SQLite file "
    "(e.g. postgresql+psycopg://localhost/pressclips). Also $PRESSCLIPS_DATABASE_URL.")


@dataclass(frozen=True)
class OpenArchive:
    config: ArchiveConfig
    engine: Engine


@contextmanager
def open_archive(archive_dir: Path | None, database_url: str | None, *,
                 write: bool = False) -> Iterator[OpenArchive]:
    """The archive a command works on, for the length of the command; never creates one.

    Read commands (``write=False``) open the database read-only, so an archive on a read-only
    mount can be searched, shown, exported and replayed. A missing or empty database is "no
    archive here" and a database with other tables is refused (both exit 2); only ``crawl``
    creates an archive. The engine is disposed when the block ends.
    """
    from archive.db.engine import make_engine

    config = ArchiveConfig.build(archive_dir, database_url)
    database_file = config.database_file
    if database_file is not None and not database_file.exists():
        if config.uses_archive_file:
            raise NoArchiveError(f"no archive at {config.root}", hint="run 'pressclips crawl' first or pass --archive")
        raise NoArchiveError(f"no archive at {database_file}: the file does not exist",
                             hint="check --database-url / $PRESSCLIPS_DATABASE_URL")
    try:
        engine = make_engine(config.database_url, create=False, read_only=not write)
    except NoArchiveError as exc:
        if config.uses_archive_file and str(exc).startswith("no pressclips archive"):
            raise NoArchiveError(f"no archive at {config.root} (its database is empty)", hint=exc.hint) from None
        raise
    try:
        yield OpenArchive(config, engine)
    finally:
        engine.dispose()


def parse_when(value: str | None, option: str) -> datetime | None:
    """A date option (ISO 8601, YYYY / YYYY-MM, or relative: 7d, 2w, 3m, 1y, 12h, today, yesterday),
    UTC when no offset is given; one line when malformed."""
    if value is None:
        return None
    try:
        return parse_user_date(value)
    except ValueError as exc:
        raise ConfigError(f"{option}: {exc}",
                          hint=f"use ISO 8601 (2026-11-01), or relative: 7d, 2w, today ({RELATIVE_UNITS})") from None


def parse_until(value: str | None, option: str) -> datetime | None:
    """An inclusive upper bound as an exclusive instant: a date without a time (2026-11-30, 2026-11,
    2026, yesterday) means up to the end of that day, month or year; an instant (7d, 10:00) is itself."""
    when = parse_when(value, option)
    if when is None or value is None:
        return when
    text = value.strip()
    if is_whole_day(text):
        return when + timedelta(days=1)
    if not _DATE_ONLY.match(text):
        return when
    parts = text.count("-")
    if parts == 2:
        return when + timedelta(days=1)
    if parts == 1:
        return when.replace(year=when.year + (when.month == 12), month=when.month % 12 + 1)
    return when.replace(year=when.year + 1)


def retired_option(name: str, replacement: str) -> Callable[[F], F]:
    """An option name that no longer exists, kept only to say which one replaced it (exit 2).

    ``--since``/``--until`` filtered publication dates in ``crawl``, first-seen dates in ``search``
    and capture dates in ``export-wacz``; every date option now names what it filters, and an old
    name fails loudly rather than keep one of its three meanings in silence (cron lines included)."""

    def refuse(ctx: click.Context, param: click.Parameter, value: Any) -> None:
        if value is not None:
            raise click.UsageError(f"{name} was renamed to say which date it filters: use {replacement}", ctx)

    # A name of its own: crawl's --published-since keeps the parameter name "since" it always had.
    dest = "retired_" + name.strip("-").replace("-", "_")
    return click.option(name, dest, expose_value=False, hidden=True, callback=refuse, metavar="DATE")


# -- whole numbers ------------------------------------------------------------------------------
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
