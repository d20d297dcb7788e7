"""Fuzzing the search syntax (hypothesis, bounded): for any text, parsing raises nothing but
``QuerySyntaxError``, and every query it produces runs without error on SQLite FTS5 and on
PostgreSQL (when reachable) through the real ``search()`` and the export's condition; the only
other error is the documented ``ConfigError`` for an ``outlet:`` the archive does not have."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from archive.db.session import reading
from archive.errors import ConfigError, QuerySyntaxError
from archive.query.articles import ArticleFilter, iter_articles
from archive.query.matching import to_fts5
from archive.query.search import SearchFilters, article_condition, search
from archive.query.syntax import parse
from tests.archive.query.test_search import build_archive
from tests.conftest import _pg_schema

# Text that is mostly syntax: quotes, dashes, FTS5 operators and punctuation, plus any character.
SYNTAX = st.sampled_from(['"', "-", " ", "OR", "AND", "NOT", "NEAR(", ")", "(", "*", "^", "~", ":", "+", "{", "}",
                          ",", "'", "\\", "\x00", "é", "carpet", "red", "Lanthimos", "e-mails", "\t", "\n",
                          "title:", "author:", "outlet:", "outlet:\"screen post\"", "site:", "トランプ", "戦", "气候变化",
                          "%", "_", "gos*", "*x"])
QUERIES = st.one_of(st.text(max_size=80), st.lists(st.one_of(SYNTAX, st.text(max_size=4)), max_size=16).map("".join))
FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    root: Path = tmp_path_factory.mktemp("fuzz")
    if request.param == "sqlite":
        archive, _ids = build_archive(f"sqlite:///{root / 'archive.sqlite3'}", root)
        yield archive.engine
        archive.engine.dispose()
        return
    with _pg_schema() as url:
        archive, _ids = build_archive(url, root)
        yield archive.engine
        archive.engine.dispose()


@FUZZ
@given(QUERIES)
def test_translator_raises_only_query_syntax_errors(query: str) -> None:
    try:
        parsed = parse(query)
    except QuerySyntaxError as exc:
        assert exc.hint and "\n" not in str(exc)
        return
    rendered = to_fts5(parsed.root)
    assert parsed.wanted() and (rendered is None or rendered.count('"') % 2 == 0)
    assert all(w and "\n" not in w for w in parsed.warnings)


@FUZZ
@given(QUERIES)
def test_every_query_runs(engine, query: str) -> None:
    try:
        result = search(engine, query, limit=5)
    except QuerySyntaxError:
        return
    except ConfigError as exc:
        assert str(exc).startswith("unknown outlet"), exc
        return
    assert len(result.hits) <= 5 and result.total >= len(result.hits)
    with reading(engine, "export") as session:  # type: ignore[arg-type]
        where = article_condition(engine, session, query, SearchFilters())  # type: ignore[arg-type]
    exported = {row["id"] for row in iter_articles(engine, ArticleFilter(), where=where)}  # type: ignore[arg-type]
    if not result.total_capped:
        assert {h.article_id for h in result.hits} <= exported and len(exported) == result.total
