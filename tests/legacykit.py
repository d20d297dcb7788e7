"""Turn a current archive into one made before migrations (schema 3, never stamped by Alembic).

Tests of the upgrade path start from a current archive and take away what came later. Which objects
came later is computed from the frozen baseline (``archive.db.migrations.baseline``), not listed by
hand, so a new revision does not break every "older archive" test: every table, column and index that
the models have and the baseline lacks is dropped (full-text objects stay: ``archive.db.fts`` owns
them), then ``alembic_version``.
"""

from __future__ import annotations

from sqlalchemy import Connection, Engine, inspect, text

from archive.db.fts import is_fts_object
from archive.db.migrations.baseline import metadata as baseline


def to_pre_migrations(engine: Engine) -> None:
    """Make ``engine``'s archive look as pressclips left it before Alembic (schema version 3)."""
    with engine.begin() as conn:
        strip_to_baseline(conn)


def strip_to_baseline(conn: Connection) -> None:
    inspector = inspect(conn)
    tables = set(inspector.get_table_names())
    later_tables = sorted(t for t in tables - set(baseline.tables) - {"alembic_version"}
                          if not is_fts_object(t, "table"))
    for table in later_tables:
        conn.execute(text(f'DROP TABLE "{table}"'))
    for name, table in baseline.tables.items():
        if name not in tables:
            continue
        known_indexes = {index.name for index in table.indexes} | {c.name for c in table.constraints}
        for index in inspector.get_indexes(name):
            if index.get("duplicates_constraint"):  # PostgreSQL: the index behind a UNIQUE constraint
                continue
            if index["name"] not in known_indexes and not is_fts_object(index["name"], "index"):
                conn.execute(text(f'DROP INDEX "{index["name"]}"'))
        for column in inspector.get_columns(name):
            if column["name"] not in table.c and not is_fts_object(column["name"], "column"):
                conn.execute(text(f'ALTER TABLE "{name}" DROP COLUMN "{column["name"]}"'))
    conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
