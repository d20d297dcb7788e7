"""The data layer's one unit of work: ``Database`` owns the engine, its sessions, the dialect's
``INSERT … ON CONFLICT`` and the outlet name → id cache.

It is also the one place where a SQLAlchemy error becomes ``archive.errors.DatabaseError``
(``translated``): writes (``Database.transaction``), reads (``Database.reading`` or, for read
functions handed a bare engine, ``reading``), engine set-up and repair's connection-level work all
go through it, so a locked, dropped or corrupt database is one line and exit 1 wherever it shows up.

One call of a ``Store`` or ``Frontier`` method is one transaction; what runs inside takes the open
session as an argument and never opens a second one (a second session inside a transaction would
wait for the first one's lock on SQLite and see none of its changes on either database).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, Table, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.sql.functions import Function

from archive.db.models import Outlet
from archive.errors import DatabaseError
from archive.times import utcnow

SUPPORTED_DIALECTS = ("sqlite", "postgresql")
DialectInsert = postgresql.Insert | sqlite.Insert


def database_error(exc: SQLAlchemyError, lead: str) -> DatabaseError:
    """``<lead>: <first line of the driver's message>``: the driver's own words say why (locked,
    no such table, not a database, connection refused) without SQLAlchemy's long tail."""
    lines = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    return DatabaseError(f"{lead}: {lines[0] if lines else type(exc).__name__}")


@contextmanager
def translated(what: str) -> Iterator[None]:
    """Run the block; a SQLAlchemy error inside it leaves as ``DatabaseError``: "<what> failed: why"."""
    try:
        yield
    except SQLAlchemyError as exc:
        raise database_error(exc, f"{what} failed") from exc


@contextmanager
def reading(engine: Engine, what: str) -> Iterator[Session]:
    """A read-only unit of work on ``engine`` for read functions that are handed an engine."""
    with translated(what), Session(engine) as session:
        yield session


class Database:
    """One archive database: sessions, dialect helpers and the outlet cache. Thread-safe: each
    unit of work gets its own session; the caches only ever grow with values read from the database."""

    def __init__(self, engine: Engine) -> None:
        if engine.dialect.name not in SUPPORTED_DIALECTS:
            raise DatabaseError(f"unsupported database dialect {engine.dialect.name!r}",
                                hint="use SQLite or PostgreSQL")
        self.engine = engine
        self.dialect = engine.dialect.name
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self._outlet_ids: dict[str, int] = {}
        self._outlet_domains: dict[str, tuple[str, ...]] = {}

    # -- units of work -----------------------------------------------------------------------
    @contextmanager
    def transaction(self, what: str) -> Iterator[Session]:
        """One transaction: committed when the block ends, rolled back when it raises."""
        with translated(what), self._sessions.begin() as session:
            yield session

    @contextmanager
    def reading(self, what: str) -> Iterator[Session]:
        """A session for reads only; nothing is committed."""
        with translated(what), self._sessions() as session:
            yield session

    # -- dialect helpers ---------------------------------------------------------------------
    def insert(self, table: type[Any] | Table) -> DialectInsert:
        """This dialect's INSERT, which has ``on_conflict_do_nothing`` / ``on_conflict_do_update``."""
        if self.dialect == "postgresql":
            return postgresql.insert(table)
        return sqlite.insert(table)

    def greatest(self, *args: Any) -> Function[Any]:
        """Two-argument max: SQLite spells it max(), PostgreSQL greatest()."""
        return func.max(*args) if self.dialect == "sqlite" else func.greatest(*args)

    def least(self, *args: Any) -> Function[Any]:
        return func.min(*args) if self.dialect == "sqlite" else func.least(*args)

    # -- outlets -----------------------------------------------------------------------------
    def save_outlets(self, session: Session, outlets: Iterable[tuple[str, str, Sequence[str]]],
                     timezones: Mapping[str, str | None] | None = None) -> dict[str, int]:
        """Upsert (name, homepage, domains) rows in ``session``'s transaction, with each outlet's
        ``timezone`` when ``timezones`` is given (a zone removed from the outlets file is cleared);
        returns name → id. The cache learns them only once the caller's transaction has committed
        (``remember_outlets``)."""
        for name, homepage, domains in outlets:
            values: dict[str, Any] = {"homepage": homepage, "domains": list(domains)}
            if timezones is not None:
                values["timezone"] = timezones.get(name)
            stmt = self.insert(Outlet).values(name=name, created_at=utcnow(), **values)
            session.execute(stmt.on_conflict_do_update(index_elements=[Outlet.name], set_=values))
        return dict(session.execute(select(Outlet.name, Outlet.id)).all())

    def remember_outlets(self, ids: dict[str, int], domains: dict[str, tuple[str, ...]]) -> None:
        self._outlet_ids.update(ids)
        self._outlet_domains.update(domains)

    def outlet_id(self, session: Session, name: str | None) -> int | None:
        """The id of outlet ``name``, read through the caller's session on a cache miss."""
        if name is None:
            return None
        if name not in self._outlet_ids:
            self._outlet_ids.update(session.execute(select(Outlet.name, Outlet.id)).all())
        return self._outlet_ids.get(name)

    def outlet_domains(self, session: Session, name: str) -> tuple[str, ...]:
        if name not in self._outlet_domains:
            domains = session.scalar(select(Outlet.domains).where(Outlet.name == name))
            self._outlet_domains[name] = tuple(domains or ())
        return self._outlet_domains[name]


__all__ = ["Database", "database_error", "reading", "translated"]
