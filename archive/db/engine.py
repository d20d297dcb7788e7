"""Engine creation, SQLite pragmas and schema set-up. Dialect specifics for connections live here."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, create_engine, event, inspect, select, text
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from archive.errors import DatabaseError
from archive.db.models import SCHEMA_VERSION, Base, Meta
from archive.db.session import database_error


def _redact(url: str) -> str:
    try:
        from sqlalchemy.engine import make_url

        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - only used for messages
        return "<invalid URL>"


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    # WAL lets readers (search, export) run while a crawl writes; busy_timeout waits for the
    # single writer instead of failing with "database is locked".
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


def make_engine(url: str, *, create: bool = True) -> Engine:
    """Connect, check the database answers, and create the schema if ``create``."""
    try:
        if url.startswith("sqlite"):
            engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
            event.listen(engine, "connect", _sqlite_pragmas)
        else:
            engine = create_engine(url, pool_pre_ping=True)
    except (ArgumentError, NoSuchModuleError, ValueError) as exc:
        raise DatabaseError(f"invalid database URL {_redact(url)!r}: {exc}",
                            hint="use e.g. sqlite:///path/archive.sqlite3 or postgresql+psycopg://host/db") from exc
    except ImportError as exc:
        raise DatabaseError(f"database driver missing for {_redact(url)}: {exc}",
                            hint="pip install 'pressclips[postgres]' for PostgreSQL") from exc
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        if create:
            init_schema(engine)
    except SQLAlchemyError as exc:
        engine.dispose()
        raise database_error(exc, f"cannot use database {_redact(url)}") from exc
    return engine


def init_schema(engine: Engine) -> None:
    """Create missing tables, bring an older archive up to date, and record the schema version."""
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


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)
