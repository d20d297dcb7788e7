"""Engine creation, SQLite pragmas and schema set-up. Dialect specifics for connections live here."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

from sqlalchemy import Engine, create_engine, event, inspect, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError
from sqlalchemy.orm import Session
from sqlalchemy.pool import QueuePool

from archive.db.fts import FTS_TABLE
from archive.db.models import SCHEMA_VERSION, Base, Meta
from archive.db.session import database_error
from archive.errors import DatabaseError, NoArchiveError, PressclipsError


def _redact(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - only used for messages
        return "<invalid URL>"


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    # busy_timeout waits for the single writer instead of failing with "database is locked".
    # Nothing here writes to the file: WAL mode is persistent and set by ``init_schema``, after
    # ``check_archive`` has made sure the database is ours.
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


def _postgres_read_only(dbapi_conn: Any, _record: Any) -> None:
    """Every transaction of a read command's connection is READ ONLY: a bug cannot write."""
    cur = dbapi_conn.cursor()
    cur.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
    cur.close()
    dbapi_conn.commit()


def _sqlite_read_only_creator(path: str) -> Callable[[], sqlite3.Connection]:
    """Connections that open the file read-only (URI ``mode=ro``).

    On a read-only directory a WAL database cannot get its ``-shm`` file, so ``mode=ro`` fails
    with "unable to open database file"; then nobody can be writing to it either, and
    ``immutable=1`` (no locking, no shared memory) reads it safely.
    """
    uri = "file:" + quote(str(Path(path).absolute()))

    def attempt(flags: str) -> sqlite3.Connection:
        conn = sqlite3.connect(f"{uri}?{flags}", uri=True, check_same_thread=False, timeout=30)
        try:
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except sqlite3.Error:
            conn.close()
            raise
        conn.execute("PRAGMA busy_timeout=30000")
        return conn

    def connect() -> sqlite3.Connection:
        try:
            return attempt("mode=ro")
        except sqlite3.OperationalError:
            if os.access(Path(path).parent, os.W_OK) or not Path(path).is_file():
                raise
            return attempt("mode=ro&immutable=1")

    return connect


def make_engine(url: str, *, create: bool = True, read_only: bool = False) -> Engine:
    """Connect, check the database answers and is a pressclips archive (or empty), and bring the
    schema up to date: created in an empty database when ``create``, else ``NoArchiveError``.

    ``read_only`` (read commands) opens SQLite with ``mode=ro`` and PostgreSQL sessions READ ONLY,
    never creates or upgrades anything, and refuses an empty database (``NoArchiveError``). A
    database holding tables that are not pressclips' is refused in every mode, before anything is
    written to it.
    """
    try:
        engine = _create(url, read_only=read_only)
    except (ArgumentError, NoSuchModuleError, ValueError) as exc:
        raise DatabaseError(f"invalid database URL {_redact(url)!r}: {exc}",
                            hint="use e.g. sqlite:///path/archive.sqlite3 or postgresql+psycopg://host/db") from exc
    except ImportError as exc:
        raise DatabaseError(f"database driver missing for {_redact(url)}: {exc}",
                            hint="pip install 'pressclips[postgres]' for PostgreSQL") from exc
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        found = check_archive(engine, url)
        if read_only or not create:
            if found is None:
                raise NoArchiveError(f"no pressclips archive in {_redact(url)}",
                                     hint="run 'pressclips crawl' to create one, or pass --archive")
            if read_only and found < SCHEMA_VERSION:
                raise DatabaseError(f"archive schema version {found} is older than this pressclips "
                                    f"({SCHEMA_VERSION}) and this command only reads",
                                    hint="run 'pressclips verify --repair' once to upgrade it")
        if not read_only:
            init_schema(engine)  # creates (found is None only when ``create``) or upgrades
    except SQLAlchemyError as exc:
        engine.dispose()
        raise database_error(exc, f"cannot use database {_redact(url)}") from exc
    except PressclipsError:
        engine.dispose()
        raise
    return engine


def _create(url: str, *, read_only: bool) -> Engine:
    if not url.startswith("sqlite"):
        engine = create_engine(url, pool_pre_ping=True)
        if read_only:
            event.listen(engine, "connect", _postgres_read_only)
        return engine
    database = make_url(url).database
    if read_only and database and database != ":memory:" and not database.startswith("file:"):
        # "sqlite://" alone would get SQLAlchemy's in-memory SingletonThreadPool, which closes the
        # connections of other threads once more than five threads have one: the replay server's
        # per-request threads then failed with "Cannot operate on a closed database".
        return create_engine("sqlite://", creator=_sqlite_read_only_creator(database), poolclass=QueuePool)
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
    event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _is_ours(table: str) -> bool:
    return table in Base.metadata.tables or table.startswith(FTS_TABLE)


def check_archive(engine: Engine, url: str) -> int | None:
    """The archive's schema version; None for an empty database. Raises ``NoArchiveError`` for a
    database with other tables (pointing pressclips at the wrong file must not add ~30 tables to it)."""
    inspector = inspect(engine)
    tables = inspector.get_table_names()
    if not tables:
        return None
    found = None
    if "meta" in tables:
        with engine.connect() as conn:
            found = conn.execute(select(Meta.value).where(Meta.key == "schema_version")).scalar()
    if found is None:
        foreign = sorted(t for t in tables if not _is_ours(t))
        if foreign:
            shown = ", ".join(foreign[:5]) + (", …" if len(foreign) > 5 else "")
            raise NoArchiveError(f"{_redact(url)} is not a pressclips archive (it holds other tables: {shown})",
                                 hint="point --archive or --database-url at a pressclips archive or an empty database")
        return None  # only our own tables, half set up by an interrupted first run: still empty
    try:
        version = int(found)
    except ValueError:
        raise NoArchiveError(f"{_redact(url)} has an unreadable schema version {found!r}") from None
    if version > SCHEMA_VERSION:
        raise DatabaseError(f"archive schema version {version} is newer than this pressclips ({SCHEMA_VERSION})",
                            hint="upgrade pressclips")
    return version


def init_schema(engine: Engine) -> None:
    """Create missing tables, bring an older archive up to date, and record the schema version."""
    if engine.dialect.name == "sqlite":
        # WAL lets readers (search, export) run while a crawl writes; the mode is stored in the file.
        raw = engine.raw_connection()
        try:
            raw.cursor().execute("PRAGMA journal_mode=WAL")
        finally:
            raw.close()
    with Session(engine) as session:
        found = session.scalar(select(Meta.value).where(Meta.key == "schema_version")) \
            if inspect(engine).has_table("meta") else None
    if found is not None and int(found) > SCHEMA_VERSION:
        raise DatabaseError(f"archive schema version {found} is newer than this pressclips ({SCHEMA_VERSION})",
                            hint="upgrade pressclips")
    Base.metadata.create_all(engine)
    __import__("archive.db.fts", fromlist=["install"]).install(engine)  # full-text index: FTS5 or tsvector+GIN
    if found is not None and int(found) < SCHEMA_VERSION:
        _add_missing_columns(engine)
    with Session(engine) as session, session.begin():
        row = session.scalar(select(Meta).where(Meta.key == "schema_version"))
        if row is None:
            session.add(Meta(key="schema_version", value=str(SCHEMA_VERSION)))
        else:
            row.value = str(SCHEMA_VERSION)


def _add_missing_columns(engine: Engine) -> None:
    """Schema changes so far only add nullable columns and indexes: apply exactly those, in one transaction."""
    inspector = inspect(engine)
    with engine.begin() as conn:
        for table in Base.metadata.tables.values():  # order is irrelevant for ADD COLUMN
            present = {c["name"] for c in inspector.get_columns(table.name)}
            for column in table.columns:
                if column.name not in present:
                    kind = column.type.compile(dialect=engine.dialect)
                    conn.execute(text(f'ALTER TABLE {table.name} ADD COLUMN "{column.name}" {kind}'))
            for index in table.indexes:
                index.create(conn, checkfirst=True)
