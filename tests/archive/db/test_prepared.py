"""Prepared statements (``archive.db.prepared``) behave like Core on both backends: typed values are
stored exactly as Core stores them, a statement's own values (LIMIT) are bound, rows come back, and
a driver error is the SQLAlchemy exception Core raises, inside the caller's transaction."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import cast

import pytest
from sqlalchemy import Integer, Table, bindparam, insert, literal_column, select
from sqlalchemy.exc import IntegrityError

from archive.db.engine import make_engine
from archive.db.models import Story
from archive.db.prepared import PreparedStatement

STORIES = cast(Table, Story.__table__)
T0 = datetime(2026, 12, 7, 21, 30, 15, 123456, tzinfo=timezone.utc)

INSERT = PreparedStatement(insert(STORIES).values(
    {name: bindparam(name) for name in ("first_article_id", "first_published_at", "first_seen", "last_seen",
                                        "article_count")}).returning(STORIES.c.id))
LATEST = PreparedStatement(select(STORIES.c.id, STORIES.c.first_article_id)
                           .where(STORIES.c.article_count >= bindparam("count"))
                           .order_by(STORIES.c.id.desc()).limit(literal_column("2", Integer)).offset(1))


def test_a_prepared_insert_stores_what_core_stores_and_a_select_binds_its_own_values(database_url: str) -> None:
    engine = make_engine(database_url)
    row = {"first_article_id": 1, "first_published_at": T0 - timedelta(hours=5), "first_seen": T0,
           "last_seen": T0, "article_count": 1}
    with engine.begin() as conn:
        core_id = conn.scalar(insert(STORIES).returning(STORIES.c.id), row)
        ids = [INSERT.rows(conn, {**row, "first_article_id": n})[0][0] for n in (2, 3, 4)]
    with engine.connect() as conn:
        stored = {r.id: r for r in conn.execute(select(STORIES))}
        raw = {r[0]: r[1:] for r in conn.exec_driver_sql("SELECT id, first_seen, first_published_at FROM stories")}
        assert LATEST.rows(conn, {"count": 1}) == [(ids[1], 3), (ids[0], 2)]  # newest first, one skipped
        assert LATEST.first(conn, {"count": 2}) is None
    assert core_id is not None and len(set(ids)) == 3
    for story_id in ids:
        assert stored[story_id].first_seen == T0  # read back through the model's type, timezone-aware
        assert stored[story_id].first_published_at == T0 - timedelta(hours=5)
        assert raw[story_id] == raw[core_id]  # the same stored form as Core's, byte for byte
    engine.dispose()


def test_a_driver_error_is_the_sqlalchemy_exception_and_the_transaction_rolls_back(database_url: str) -> None:
    engine = make_engine(database_url)
    row = {"first_article_id": 1, "first_published_at": None, "first_seen": T0, "last_seen": T0, "article_count": 1}
    with pytest.raises(IntegrityError, match="article_count"):
        with engine.begin() as conn:
            INSERT.rows(conn, row)
            INSERT.run(conn, {**row, "article_count": None})  # NOT NULL
    with engine.connect() as conn:
        assert conn.scalar(select(STORIES.c.id)) is None  # the first insert went with the transaction
    engine.dispose()
