"""Schema migrations: Alembic, driven from code (no ``alembic.ini`` to find).

The revisions live in ``archive/db/migrations/versions``; ``0001`` (the baseline) creates schema 3,
the last one made without Alembic, including the full-text objects of ``archive.db.fts``. A fresh
archive is an upgrade to head. An archive made before Alembic (``meta.schema_version`` 1, 2 or 3 and
no ``alembic_version`` table) is first brought to schema 3 by the old additive path, against the
frozen schema in ``migrations/baseline.py``, then stamped at the baseline and upgraded to head, all in
one transaction: an interrupted upgrade leaves the archive as it was.

One upgrader at a time per archive: PostgreSQL takes a transaction-level advisory lock keyed on the
archive's schema, SQLite a ``BEGIN IMMEDIATE`` write lock; whoever comes second finds the work done.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Iterator
from contextlib import contextmanager, redirect_stdout
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, inspect, text

from archive.db.fts import install_on as install_fts
from archive.db.fts import is_fts_object
from archive.db.migrations.baseline import metadata as baseline_metadata
from archive.db.models import SCHEMA_VERSION
from archive.errors import DatabaseError

MIGRATIONS = Path(__file__).with_name("migrations")
BASELINE = "0001"
# Two-key advisory locks per archive: (PG_LOCK_CLASS + purpose, hash of the archive's schema).
PG_LOCK_CLASS = 0x7072_6573  # "pres"
_MIGRATE_OBJECT = 1


@dataclass(frozen=True)
class SchemaState:
    """Where an archive's schema stands. ``revision`` is Alembic's; ``legacy_version`` is
    ``meta.schema_version`` of an archive never stamped; both None and ``empty`` for a new database."""

    revision: str | None
    legacy_version: int | None
    empty: bool
    head: str

    @property
    def needs_upgrade(self) -> bool:
        return self.empty or self.revision != self.head

    @property
    def known(self) -> bool:
        """False when a newer pressclips wrote this archive (a revision or version we do not have)."""
        if self.revision is not None:
            return self.revision in _revisions()
        return self.legacy_version is None or self.legacy_version <= SCHEMA_VERSION

    def describe(self) -> str:
        if self.empty:
            return "empty"
        if self.revision is not None:
            return self.revision + (" (head)" if self.revision == self.head else "")
        return f"schema version {self.legacy_version}, made before migrations"


@dataclass(frozen=True)
class Revision:
    revision: str
    down_revision: str | None
    message: str
    is_head: bool


def alembic_config(connection: Connection | None = None) -> Config:
    """Alembic's configuration, built in code; env.py runs on ``connection``."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


@cache
def _script() -> ScriptDirectory:
    """The revisions shipped with this pressclips: read once per process (every open asks)."""
    return ScriptDirectory.from_config(alembic_config())


def head() -> str:
    found = _script().get_current_head()
    if found is None:  # pragma: no cover - the package always ships the baseline
        raise DatabaseError("no schema migrations found in the installed pressclips")
    return found


def history() -> list[Revision]:
    """Every revision, newest first."""
    script = _script()
    heads = set(script.get_heads())
    return [Revision(r.revision, _down(r.down_revision), (r.doc or "").strip().splitlines()[0] if r.doc else "",
                     r.revision in heads) for r in script.walk_revisions()]


def include_object(obj: object, name: str | None, type_: str, reflected: bool, compare_to: object) -> bool:
    """Alembic's filter: autogenerate leaves the full-text objects to ``archive.db.fts`` (DESIGN §4)."""
    return not is_fts_object(name, type_)


def schema_state(conn: Connection) -> SchemaState:
    tables = set(inspect(conn).get_table_names())
    revision = legacy = None
    if "alembic_version" in tables:
        revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    if revision is None and "meta" in tables:
        found = conn.execute(text("SELECT value FROM meta WHERE key = 'schema_version'")).scalar()
        if found is not None:
            try:
                legacy = int(found)
            except ValueError:
                raise DatabaseError(f"unreadable schema version {found!r} in table meta") from None
    empty = revision is None and legacy is None and not (tables - {"alembic_version"})
    return SchemaState(revision, legacy, empty, head())


def current(engine: Engine) -> SchemaState:
    with engine.connect() as conn:
        return schema_state(conn)


def refuse_unknown(state: SchemaState) -> None:
    if not state.known:
        found = state.revision or f"schema version {state.legacy_version}"
        raise DatabaseError(f"archive schema ({found}) is newer than this pressclips (head {state.head})",
                            hint="upgrade pressclips")


def upgrade(engine: Engine, target: str = "head") -> tuple[SchemaState, SchemaState]:
    """Bring the archive to ``target`` (stamping one made before Alembic first); (before, after)."""
    if engine.dialect.name == "sqlite":
        # WAL lets readers (search, export) run while a crawl writes; the mode is stored in the file
        # and cannot change inside a transaction, so it is set before the upgrade's.
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA journal_mode=WAL")
    with engine.connect() as conn, _one_upgrader(conn):
        before = schema_state(conn)
        refuse_unknown(before)
        if before.revision is None and not before.empty:
            adopt_legacy(conn)
            _quietly(command.stamp, alembic_config(conn), BASELINE)
        if before.needs_upgrade:
            _quietly(command.upgrade, alembic_config(conn), target)
        after = schema_state(conn)
    return before, after


def adopt_legacy(conn: Connection) -> None:
    """What the additive path did for archives before Alembic: the schema-3 tables, columns and
    indexes an older archive lacks (all nullable or new), then the full-text objects. Applied to the
    frozen schema 3, never to today's models, so the revisions after the baseline still apply."""
    baseline_metadata.create_all(conn, checkfirst=True)
    inspector = inspect(conn)
    for table in baseline_metadata.tables.values():  # ADD COLUMN and CREATE INDEX: order is irrelevant
        present = {c["name"] for c in inspector.get_columns(table.name)}
        for column in table.columns:
            if column.name not in present:
                kind = column.type.compile(dialect=conn.dialect)
                conn.execute(text(f'ALTER TABLE {table.name} ADD COLUMN "{column.name}" {kind}'))
        for index in table.indexes:
            index.create(conn, checkfirst=True)
    install_fts(conn)
    record_legacy_version(conn)


def record_legacy_version(conn: Connection) -> None:
    """``meta.schema_version`` stays 3: pressclips from before Alembic read it (and refuse above it)."""
    updated = conn.execute(text("UPDATE meta SET value = :v WHERE key = 'schema_version'"),
                           {"v": str(SCHEMA_VERSION)}).rowcount
    if not updated:
        conn.execute(text("INSERT INTO meta (key, value) VALUES ('schema_version', :v)"), {"v": str(SCHEMA_VERSION)})


def pg_lock_sql(function: str) -> str:
    """``SELECT <function>(class + :object, hashtext(current_schema()))``: an advisory lock on this
    archive for one purpose (``:object``); one PostgreSQL database can hold several archives, one per
    schema."""
    return f"SELECT {function}({PG_LOCK_CLASS} + :object, hashtext(current_schema()))"


@contextmanager
def _one_upgrader(conn: Connection) -> Iterator[None]:
    if conn.dialect.name == "postgresql":
        conn.execute(text(pg_lock_sql("pg_advisory_xact_lock")), {"object": _MIGRATE_OBJECT})
    elif conn.dialect.name == "sqlite":
        # pysqlite leaves DDL outside transactions; an explicit BEGIN IMMEDIATE makes the whole
        # upgrade one transaction and takes the write lock before anything is read.
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        conn.rollback()
        raise
    conn.commit()


def new_revision(engine: Engine, message: str, *, autogenerate: bool = True) -> Path:
    """Write the next revision file (``NNNN_<slug>.py``) from the models' difference with
    ``engine``'s schema, which must be at head (a scratch archive). Returns its path."""
    latest = head()
    rev_id = f"{int(latest) + 1:04d}" if latest.isdigit() else None
    with engine.connect() as conn:
        config = alembic_config(conn)
        config.set_main_option("file_template", "%%(rev)s_%%(slug)s")
        with warnings.catch_warnings():  # the FK cycle articles/versions/captures is deliberate
            warnings.filterwarnings("ignore", message="Cannot correctly sort tables")
            script = command.revision(config, message=message, autogenerate=autogenerate, rev_id=rev_id)
        conn.commit()
    if script is None or isinstance(script, list):  # pragma: no cover - one head, one script
        raise DatabaseError("alembic wrote no single revision")
    return Path(script.path)


def _quietly(fn: object, *args: object) -> None:
    """Alembic's commands print progress through logging only; nothing should reach stdout."""
    with redirect_stdout(io.StringIO()):
        fn(*args)  # type: ignore[operator]


def _revisions() -> set[str]:
    return {r.revision for r in _script().walk_revisions()}


def _down(value: object) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return ",".join(str(v) for v in value)  # type: ignore[attr-defined]


def migration_context(conn: Connection) -> MigrationContext:
    return MigrationContext.configure(conn, opts={"include_object": include_object, "compare_type": True})
