"""Shared pieces of the ``pressclips`` commands: one-line errors, the archive options, opening an
archive for one command, and dates. Command modules import from here (and from ``output`` and
``params``), never from each other."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from archive.config import ArchiveConfig
from archive.errors import ConfigError, NoArchiveError, PressclipsError
from archive.times import parse_user_date

if TYPE_CHECKING:
    from sqlalchemy import Engine

F = TypeVar("F", bound=Callable[..., Any])


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
    """A date option (ISO 8601, or YYYY / YYYY-MM), UTC when no offset is given; one line when malformed."""
    if value is None:
        return None
    try:
        return parse_user_date(value)
    except ValueError:
        raise ConfigError(f"{option}: not a date: {value!r}", hint="use ISO 8601, e.g. 2026-11-01") from None

