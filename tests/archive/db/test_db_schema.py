"""Schema set-up: an archive made by an older pressclips is brought up to date in place, data kept."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import inspect, text

from archive.db.engine import make_engine
from archive.db.models import SCHEMA_VERSION
from archive.errors import DatabaseError
from tests.legacykit import strip_to_baseline


def test_older_archive_gains_new_columns_and_keeps_rows(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'a.sqlite3'}"
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP INDEX ix_urls_next_due_at"))
        conn.execute(text("ALTER TABLE urls DROP COLUMN next_due_at"))
        conn.execute(text("ALTER TABLE crawl_runs DROP COLUMN articles_gone"))
        conn.execute(text("UPDATE meta SET value = '1' WHERE key = 'schema_version'"))
        strip_to_baseline(conn)  # and from before migrations
        conn.execute(text("INSERT INTO urls (url, canonical_url, first_seen, last_seen, discovery) "
                          "VALUES ('http://127.0.0.1/a', 'http://127.0.0.1/a', '2026-01-01', '2026-01-01', '{}')"))
    engine.dispose()
    engine = make_engine(url)
    columns = {c["name"] for c in inspect(engine).get_columns("urls")}
    assert "next_due_at" in columns
    assert "articles_gone" in {c["name"] for c in inspect(engine).get_columns("crawl_runs")}
    assert "ix_urls_next_due_at" in {i["name"] for i in inspect(engine).get_indexes("urls")}
    with engine.connect() as conn:
        assert conn.execute(text("SELECT url FROM urls")).scalars().all() == ["http://127.0.0.1/a"]
        assert conn.execute(text("SELECT value FROM meta WHERE key='schema_version'")).scalar() == str(SCHEMA_VERSION)
    engine.dispose()


def test_newer_archive_is_refused(tmp_path: Path) -> None:
    """An archive never stamped whose schema version is past the last one made without migrations."""
    url = f"sqlite:///{tmp_path / 'a.sqlite3'}"
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE meta SET value = '999' WHERE key = 'schema_version'"))
        conn.execute(text("DROP TABLE alembic_version"))
    engine.dispose()
    with pytest.raises(DatabaseError, match="newer"):
        make_engine(url)
