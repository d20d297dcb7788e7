"""Watchlists: named sets of search queries kept in the archive (table ``watchlists``).

A watchlist is what a PR team follows: a film, its cast, its director, each one query in the search
syntax of ``archive.query.search``. Its coverage is every article matching any of its queries.
Names are short identifiers (letters, digits, ``.``, ``_``, ``-``; not starting with ``-``), so a
name on the command line can never be mistaken for an option or for a query with spaces.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, delete, inspect, select, update

from archive.db.models import Watchlist
from archive.db.session import Database, reading
from archive.errors import ConfigError, NotFoundError
from archive.times import utcnow

NAME_PATTERN = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._-]{0,63}$")
MAX_QUERIES = 50
MAX_QUERY_CHARS = 1000


@dataclass(frozen=True)
class WatchlistInfo:
    name: str
    queries: tuple[str, ...]
    created_at: datetime
    last_report_at: datetime | None


def check_name(name: str) -> str:
    """``name`` when it is a valid watchlist name; ``ConfigError`` saying what a name may hold otherwise."""
    if not NAME_PATTERN.match(name):
        shown = name if len(name) <= 40 else name[:39] + "…"
        raise ConfigError(f"not a watchlist name: {shown!r}",
                          hint="use 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit")
    return name


def check_queries(engine: Engine, queries: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """The queries, stripped, once each; each must be one the search syntax accepts."""
    from archive.query.search import SearchFilters, article_condition

    cleaned = tuple(dict.fromkeys(q.strip() for q in queries if q.strip()))
    if not cleaned:
        raise ConfigError("a watchlist needs at least one query",
                          hint="e.g. pressclips watch add NAME '\"poor things\"' lanthimos")
    if len(cleaned) > MAX_QUERIES:
        raise ConfigError(f"a watchlist holds at most {MAX_QUERIES} queries, not {len(cleaned)}")
    for query in cleaned:
        if len(query) > MAX_QUERY_CHARS:
            raise ConfigError(f"query longer than {MAX_QUERY_CHARS} characters: {query[:40]!r}…")
        with reading(engine, "checking the query") as session:
            article_condition(engine, session, query, SearchFilters())  # raises QuerySyntaxError when unusable
    return cleaned


def add_watchlist(engine: Engine, name: str, queries: tuple[str, ...] | list[str]) -> WatchlistInfo:
    """Create watchlist ``name``; ``ConfigError`` when the name is taken or a query is unusable."""
    check_name(name)
    cleaned = check_queries(engine, queries)
    db = Database(engine)
    now = utcnow()
    with db.transaction(f"adding watchlist {name}") as session:
        created = session.scalar(db.insert(Watchlist).values(name=name, queries=list(cleaned), created_at=now)
                                 .on_conflict_do_nothing(index_elements=[Watchlist.name]).returning(Watchlist.id))
    if created is None:
        raise ConfigError(f"watchlist {name!r} already exists",
                          hint=f"'pressclips watch rm {name}' first, or pick another name")
    return WatchlistInfo(name, cleaned, now, None)


def remove_watchlist(engine: Engine, name: str) -> None:
    check_name(name)
    with Database(engine).transaction(f"removing watchlist {name}") as session:
        removed = session.scalar(delete(Watchlist).where(Watchlist.name == name).returning(Watchlist.id))
    if removed is None:
        raise NotFoundError(f"no watchlist named {name!r}", hint="'pressclips watch list' shows them")


def _has_table(engine: Engine) -> bool:
    """An archive made before watchlists existed has no table until a command that writes creates it."""
    return inspect(engine).has_table(Watchlist.__tablename__)


def list_watchlists(engine: Engine) -> list[WatchlistInfo]:
    if not _has_table(engine):
        return []
    with reading(engine, "listing watchlists") as session:
        rows = session.scalars(select(Watchlist).order_by(Watchlist.name)).all()
        return [_info(row) for row in rows]


def find_watchlist(engine: Engine, name: str) -> WatchlistInfo | None:
    """The watchlist called ``name``, or None (also for text that cannot be a name, such as a query)."""
    if not NAME_PATTERN.match(name) or not _has_table(engine):
        return None
    with reading(engine, "reading the watchlist") as session:
        row = session.scalar(select(Watchlist).where(Watchlist.name == name))
        return None if row is None else _info(row)


def mark_reported(engine: Engine, name: str, when: datetime) -> None:
    """Remember ``when`` as the time of the watchlist's last report (for "new since the last report")."""
    with Database(engine).transaction(f"recording the report of {name}") as session:
        session.execute(update(Watchlist).where(Watchlist.name == name).values(last_report_at=when))


def _info(row: Watchlist) -> WatchlistInfo:
    return WatchlistInfo(row.name, tuple(row.queries or ()), row.created_at, row.last_report_at)
