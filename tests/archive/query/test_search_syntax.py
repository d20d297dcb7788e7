"""The search syntax on real SQLite (FTS5 + trigram) and PostgreSQL (tsvector + pg_trgm): boolean
operators and their precedence, groups, prefixes, field filters, CJK substrings (also on an archive
from before the CJK index existed), warnings, and a parsed ``Query`` reused across searches."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text

from archive.db import fts
from archive.errors import ConfigError, QuerySyntaxError
from archive.query.search import HIGHLIGHT, SearchFilters, search
from archive.query.syntax import parse
from tests.archive.query.test_search import Archive, build_archive, found

# Written without spaces: a word index holds each run as one token, so only substrings find them.
CJK_PAGES = [
    ("trump", "Kino Zeitung", "https://kino.example/jp/trump", "トランプ戦術の成否", ["山田太郎"], "ja",
     "トランプ氏の戦術は成功したのか。専門家の見方は分かれている。Lanthimos 監督の新作も話題だ。"),
    ("climate", "Screen Post", "https://screen.example/zh/climate", "气候变化与电影业", ["李明"], "zh",
     "气候变化正在影响电影拍摄。制片人说成本上升了。"),
    ("korea", "Screen Post", "https://screen.example/ko/festival", "부산국제영화제 개막", ["Kim Jiwoo"], "ko",
     "부산국제영화제가 오늘 개막했다. Emma Stone 이 참석했다."),
]


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def archive(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    """(archive, ids) with the five pages of test_search plus three CJK pages; shared by the module:
    the tests here only read (the one that drops indexes restores them)."""
    from tests.conftest import _pg_schema

    root: Path = tmp_path_factory.mktemp("syntax")
    if request.param == "sqlite":
        built, ids = build_archive(f"sqlite:///{root / 'archive.sqlite3'}", root)
        yield _with_cjk(built, ids)
        built.engine.dispose()
        return
    with _pg_schema() as url:
        built, ids = build_archive(url, root)
        yield _with_cjk(built, ids)
        built.engine.dispose()


def _with_cjk(built: Archive, ids: dict[str, int]) -> tuple[Archive, dict[str, int]]:
    for key, outlet, url, title, authors, language, body in CJK_PAGES:
        built.fetch(outlet, url, datetime(2026, 11, 25, 9, tzinfo=UTC), title, authors, None, language, body)
        with built.engine.connect() as conn:
            ids[key] = conn.execute(text("SELECT id FROM articles WHERE canonical_url = :u"), {"u": url}).scalar_one()
    return built, ids


def hits(archive, query: str, flt: SearchFilters | None = None) -> set[str]:
    built, ids = archive
    names = {v: k for k, v in ids.items()}
    return {names[a] for a in found(built.engine, query, flt)}


def test_boolean_operators_groups_and_precedence(archive) -> None:
    assert hits(archive, "emma NOT stone") == set()  # every Emma here is Emma Stone
    assert hits(archive, "lanthimos NOT stone") == hits(archive, "lanthimos -stone") == {"kino", "trump"}
    assert hits(archive, "lanthimos AND bugonia") == hits(archive, "lanthimos bugonia") == {"bugonia"}
    assert hits(archive, "gosling OR plemons OR memo") == {"globes", "bugonia", "leak"}
    # OR binds tighter than AND (web-search style); parentheses override
    assert hits(archive, "stone OR gosling carpet") == {"stone", "globes"}
    assert hits(archive, "(stone AND bugonia) OR gosling") == {"bugonia", "globes"}
    assert hits(archive, "stone AND bugonia OR gosling") == {"bugonia"}
    assert hits(archive, "lanthimos -(stone OR kaffee)") == {"trump"}
    # a NOT that FTS5 cannot express (no positive side in its group) is answered by SQL
    assert hits(archive, "memo OR -carpet") == {"leak", "kino", "bugonia", "trump", "climate", "korea"}
    assert hits(archive, "NOT NOT memo") == {"leak"}


def test_prefix_search(archive) -> None:
    assert hits(archive, "gos*") == {"globes"}
    assert hits(archive, "lanth*") == {"stone", "kino", "bugonia", "trump"}
    assert hits(archive, '"red carp*"') == hits(archive, '"red carpet"') == {"stone", "globes"}
    assert hits(archive, "carpets") == set() and hits(archive, "carpet*") == {"stone", "globes"}


def test_field_filters_inside_the_query(archive) -> None:
    assert hits(archive, "title:lanthimos") == {"bugonia"}  # in three texts, one title
    assert hits(archive, "title:(oscars OR globes)") == {"stone", "globes"}
    assert hits(archive, 'author:"ann writer"') == {"stone", "bugonia"}
    assert hits(archive, "author:garc*") == {"globes"}
    assert hits(archive, "lanthimos -title:lanthimos") == {"stone", "kino", "trump"}
    assert hits(archive, 'outlet:"variety wire" lanthimos') == {"stone", "bugonia"}
    with pytest.raises(ConfigError, match="unknown outlet"):
        hits(archive, "outlet:variety lanthimos")
    assert hits(archive, '(outlet:"kino zeitung" OR outlet:"screen post") -memo -carpet') \
        == {"kino", "trump", "climate", "korea"}
    # the same as the --outlet option
    assert hits(archive, "lanthimos", SearchFilters(outlet="Kino Zeitung")) == hits(
        archive, 'lanthimos outlet:"kino zeitung"') == {"kino", "trump"}


def test_cjk_substrings(archive) -> None:
    built, _ids = archive
    assert hits(archive, "トランプ") == {"trump"}  # 4 characters: a trigram lookup
    assert hits(archive, "戦術") == {"trump"}  # 2 characters: too short for a trigram
    assert hits(archive, "成") == {"trump", "climate"}  # 1 character (成否, 成功, 成本)
    assert hits(archive, "气候变化") == hits(archive, "title:电影") == {"climate"}
    assert hits(archive, "영화제") == {"korea"} and hits(archive, "author:山田") == {"trump"}
    assert hits(archive, "トランプ lanthimos") == {"trump"} and hits(archive, "トランプ -lanthimos") == set()
    assert hits(archive, "成 -气候") == {"trump"} and hits(archive, "title:成否 OR 영화제") == {"trump", "korea"}
    assert hits(archive, "stone -부산") == {"stone", "bugonia"}
    assert hits(archive, "トランプ戦術の成否です") == set()
    [hit] = search(built.engine, "トランプ").hits
    start, stop = HIGHLIGHT
    assert f"{start}トランプ{stop}" in hit.snippet, hit.snippet


def test_warnings_reach_the_result_and_a_parsed_query_is_reusable(archive) -> None:
    built, ids = archive
    result = search(built.engine, "NEAR(memo budget)")
    assert [h.article_id for h in result.hits] == [ids["leak"]]
    assert result.warnings and "NEAR" in result.warnings[0]
    assert search(built.engine, "memo").warnings == ()
    parsed = parse("lanthimos -stone")  # parse once, run under many filters (watchlists, reports)
    assert {h.article_id for h in search(built.engine, parsed).hits} == {ids["kino"], ids["trump"]}
    assert [h.article_id for h in search(built.engine, parsed, SearchFilters(language="de")).hits] == [ids["kino"]]
    with pytest.raises(QuerySyntaxError):
        search(built.engine, "-lanthimos")


def test_cjk_index_is_created_and_backfilled_for_an_existing_archive(archive) -> None:
    built, _ids = archive
    engine = built.engine
    with engine.begin() as conn:  # an archive from before the CJK index existed
        if engine.dialect.name == "sqlite":
            conn.execute(text(f"DROP TABLE {fts.CJK_TABLE}"))
            for suffix in ("ai", "ad", "au"):
                conn.execute(text(f"DROP TRIGGER {fts.CJK_TABLE}_{suffix}"))
        else:
            conn.execute(text(f"DROP INDEX {fts.CJK_INDEX}"))
    # before the upgrade (a read-only search of an old archive): the same answers, by a scan
    assert hits(archive, "トランプ") == {"trump"} and hits(archive, "title:成否 OR 영화제") == {"trump", "korea"}
    fts.install(engine)  # what revision 0004 (cjk_search) runs on such an archive
    assert hits(archive, "トランプ") == {"trump"} and hits(archive, "戦術") == {"trump"}
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":  # only versions with CJK text are in the trigram table
            indexed = conn.execute(text(f"SELECT count(*) FROM {fts.CJK_TABLE}_docsize")).scalar()
            assert indexed == len(CJK_PAGES)
        else:
            assert conn.execute(text("SELECT 1 FROM pg_indexes WHERE indexname = :n"),
                                {"n": fts.CJK_INDEX}).first() is not None
