"""Shared pieces of the ``pressclips`` commands: one-line errors, common options, opening an archive,
date parsing and plain tables. Command modules import from here, never from each other."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable
from datetime import datetime, timezone
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click
from dateutil import parser as dateparser

from archive.config import ArchiveConfig
from archive.errors import ConfigError, PressclipsError

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


def open_archive(archive_dir: Path | None, database_url: str | None, *, must_exist: bool = True) -> Any:
    """Engine for an existing archive (read commands) — never creates one by accident."""
    from archive.db.engine import make_engine

    config = ArchiveConfig.build(archive_dir, database_url)
    if must_exist and config.is_sqlite and not (config.root / "pressclips.sqlite3").exists() \
            and database_url is None and "PRESSCLIPS_DATABASE_URL" not in os.environ:
        raise ConfigError(f"no archive at {config.root}", hint="run 'pressclips crawl' first or pass --archive")
    return config, make_engine(config.database_url)


def parse_when(value: str | None, option: str) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = dateparser.isoparse(value)
    except (ValueError, OverflowError):
        raise ConfigError(f"{option}: not a date: {value!r}", hint="use ISO 8601, e.g. 2026-11-01") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def print_table(rows: list[dict[str, Any]], columns: Iterable[str]) -> None:
    cols = list(columns)
    cells = [[("" if r.get(c) is None else str(r.get(c))) for c in cols] for r in rows]
    widths = [max([len(c), *(len(row[i]) for row in cells)]) for i, c in enumerate(cols)]
    click.echo("  ".join(c.ljust(w) for c, w in zip(cols, widths)).rstrip())
    for row in cells:
        click.echo("  ".join(v.ljust(w) for v, w in zip(row, widths)).rstrip())
