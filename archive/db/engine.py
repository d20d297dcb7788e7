"""Engine creation, SQLite pragmas and schema set-up. Dialect specifics for connections live here."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError
from sqlalchemy.pool import QueuePool

from archive.db.fts import FTS_TABLE
from archive.db.migrate import SchemaState, refuse_unknown, schema_state, upgrade
from archive.db.models import Base
from archive.db.pool import postgres_engine_options
from archive.db.session import database_error
from archive.errors import DatabaseError, NoArchiveError, PressclipsError, SchemaUpgradeNeeded


def redact(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - only used for messages
        return "<invalid URL>"


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    # busy_timeout waits for the single writer instead of failing with "database is locked".
    # Nothing here writes to the file: WAL mode is persistent and set by the upgrade, after
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
    schema up to date with the migrations (``archive.db.migrate``): created in an empty database
    when ``create``, else ``NoArchiveError``; an archive made before migrations is stamped and
    upgraded on its first open.

    ``read_only`` (read commands) opens SQLite with ``mode=ro`` and PostgreSQL sessions READ ONLY,
    never creates or upgrades anything, refuses an empty database (``NoArchiveError``) and one that
    needs an upgrade (``SchemaUpgradeNeeded``, naming the command to run). A database holding tables
    that are not pressclips' is refused in every mode, before anything is written to it; so is an
    archive written by a newer pressclips.
    """
    engine, state = connect(url, read_only=read_only)
    try:
        if read_only or not create:
            if state is None:
                raise NoArchiveError(f"no pressclips archive in {redact(url)}",
                                     hint="run 'pressclips crawl' to create one, or pass --archive")
            if read_only and state.needs_upgrade:
                raise SchemaUpgradeNeeded(f"the archive needs a schema upgrade ({state.describe()} -> "
                                          f"{state.head}) and this command only reads",
                                          hint="run 'pressclips db upgrade' with the same --archive or "
                                               "--database-url once, then retry")
        if not read_only:
            init_schema(engine)  # creates (state is None only when ``create``) or upgrades
    except SQLAlchemyError as exc:
        engine.dispose()
        raise database_error(exc, f"cannot use database {redact(url)}") from exc
    except PressclipsError:
        engine.dispose()
        raise
    return engine


def connect(url: str, *, read_only: bool = False) -> tuple[Engine, SchemaState | None]:
    """An engine on ``url`` that answers, and where its schema stands (None: empty); changes nothing.
    Refuses what ``check_archive`` refuses."""
    try:
        engine = _create(url, read_only=read_only)
    except (ArgumentError, NoSuchModuleError, ValueError) as exc:
        raise DatabaseError(f"invalid database URL {redact(url)!r}: {exc}",
                            hint="use e.g. sqlite:///path/archive.sqlite3 or postgresql+psycopg://host/db") from exc
    except ImportError as exc:
        raise DatabaseError(f"database driver missing for {redact(url)}: {exc}",
                            hint="pip install 'pressclips[postgres]' for PostgreSQL") from exc
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return engine, check_archive(engine, url)
    except SQLAlchemyError as exc:
        engine.dispose()
        raise database_error(exc, f"cannot use database {redact(url)}") from exc
    except PressclipsError:
        engine.dispose()
        raise


def _create(url: str, *, read_only: bool) -> Engine:
    if not url.startswith("sqlite"):
        target, options = postgres_engine_options(url)
        engine = create_engine(target, **options)
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
    return table in Base.metadata.tables or table.startswith(FTS_TABLE) or table == "alembic_version"


def check_archive(engine: Engine, url: str) -> SchemaState | None:
    """Where the archive's schema stands; None for an empty database. Raises ``NoArchiveError`` for a
    database with other tables (pointing pressclips at the wrong file must not add ~30 tables to it)
    and ``DatabaseError`` for an archive a newer pressclips wrote."""
    tables = inspect(engine).get_table_names()
    if not tables:
        return None
    with engine.connect() as conn:
        state = schema_state(conn)
    if state.revision is None and state.legacy_version is None:
        foreign = sorted(t for t in tables if not _is_ours(t))
        if foreign:
            shown = ", ".join(foreign[:5]) + (", …" if len(foreign) > 5 else "")
            raise NoArchiveError(f"{redact(url)} is not a pressclips archive (it holds other tables: {shown})",
                                 hint="point --archive or --database-url at a pressclips archive or an empty database")
        return None  # only our own tables, half set up by an interrupted first run: still empty
    refuse_unknown(state)
    return state


def init_schema(engine: Engine) -> None:
    """Create the schema in an empty database, or upgrade an archive to the newest revision."""
    upgrade(engine)
