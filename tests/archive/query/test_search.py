"""Full-text search on real SQLite (FTS5) and PostgreSQL (tsvector): syntax, ranking, snippets,
diacritics, filters, facets, the index following new versions, and ``article_detail``.

``build_archive`` (also used by the CLI tests) stores five articles through ``Store`` exactly as a
crawl does, each with a real WARC response record behind its capture.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.dialects import postgresql

from archive.db import fts
from archive.db.engine import init_schema, make_engine
from archive.db.store import CaptureRecord, PageResult, Store
from archive.errors import ConfigError, QuerySyntaxError
from archive.extract.markup import content_hash
from archive.extract.result import Extraction
from archive.query.detail import article_detail
from archive.query.matching import to_fts5, to_tsquery
from archive.query.search import HIGHLIGHT, SearchFilters, search
from archive.query.syntax import MAX_LENGTH, MAX_TERMS, parse
from archive.warc.reader import read_record
from archive.warc.writer import HttpExchange, WarcWriter
from tests.legacykit import strip_to_baseline

OUTLETS = [("Variety Wire", "https://variety.example/", ["variety.example"]),
           ("Screen Post", "https://screen.example/", ["screen.example"]),
           ("Kino Zeitung", "https://kino.example/", ["kino.example"])]


@dataclass(frozen=True)
class Page:
    key: str
    outlet: str
    url: str
    title: str
    authors: list[str]
    published: str | None
    language: str
    seen: datetime
    text: str
    edits: list[tuple[datetime, str]] = field(default_factory=list)  # later versions: (when, text)


PAGES = [
    Page("stone", "Variety Wire", "https://variety.example/film/stone-oscars", "Emma Stone wins at the Oscars",
         ["Ann Writer"], "2026-10-05T18:00:00+00:00", "en", datetime(2026, 10, 5, 20, tzinfo=UTC),
         "Emma Stone won best actress at the Oscars for Poor Things. On the red carpet she thanked Yorgos "
         "Lanthimos. Critics said the ceremony ran long."),
    Page("globes", "Screen Post", "https://screen.example/news/globes-carpet", "Red carpet fashion at the Golden Globes",
         ["José García"], "2026-11-02T09:00:00+00:00", "en-GB", datetime(2026, 11, 2, 10, tzinfo=UTC),
         "The red carpet at the Golden Globes was full of colour. Ryan Gosling arrived late and skipped the "
         "interviews. Stylists sent e-mails: all about the gowns."),
    Page("kino", "Kino Zeitung", "https://kino.example/kultur/cafe-kino", "Ein Abend im Café Kino",
         ["Jürgen Müller"], "2026-11-20T19:30:00+01:00", "de", datetime(2026, 11, 20, 20, tzinfo=UTC),
         "Im Café Kino zeigt man Filme von Lanthimos. Die Zuschauer trinken Kaffee und diskutieren über das Kino."),
    Page("bugonia", "Variety Wire", "https://variety.example/film/bugonia-shoot", "Lanthimos starts shooting Bugonia",
         ["Ann Writer", "Bob Critic"], None, "en", datetime(2026, 9, 15, 8, tzinfo=UTC),
         "Yorgos Lanthimos started shooting Bugonia with Emma Stone. Lanthimos said little about the plot.",
         [(datetime(2026, 9, 20, 8, tzinfo=UTC), ("Yorgos Lanthimos started shooting Bugonia with Emma Stone. "
                                                  "Lanthimos said little about the plot. Update: Jesse Plemons "
                                                  "joins the cast."))]),
    Page("leak", "Screen Post", "https://screen.example/news/memo-leak", "Studio memo leaks", ["Staff"],
         "2026-08-10T12:00:00+00:00", "en", datetime(2026, 8, 10, 13, tzinfo=UTC),
         "A studio memo leaked through forwarded emails. The memo discusses the budget of a sequel."),
]


class Archive:
    """A store plus a WARC writer: ``fetch`` archives a response and stores what it yielded."""

    def __init__(self, engine: Engine, warc_dir: Path) -> None:
        self.engine = engine
        self.store = Store(engine)
        self.store.ensure_outlets(OUTLETS)
        self.warc_dir = warc_dir
        self.writer = WarcWriter(warc_dir)

    def fetch(self, outlet: str, url: str, when: datetime, title: str, authors: list[str], published: str | None,
              language: str, body: str) -> str:
        html = f"<html><head><title>{title}</title></head><body><p>{body}</p></body></html>".encode()
        ptr = self.writer.write_exchange(HttpExchange(
            url=url, method="GET", request_headers=[("Accept", "text/html")], status=200, reason="OK",
            http_version="HTTP/1.1", response_headers=[("Content-Type", "text/html; charset=utf-8")], body=html,
            fetched_at=when))
        self.writer.close()  # a finished file, so readers see its final name
        self.store.add_capture(CaptureRecord(
            url=url, fetched_at=when, status=200, mime="text/html", pointer=ptr, outlet=outlet))
        ext = Extraction(is_article=True, reason=None, title=title, authors=authors, published=published,
                         language=language, text=body, content_hash=content_hash(body))
        return self.store.record_page(PageResult(outlet=outlet, warc_record_id=ptr.record_id, requested_url=url,
                                                 final_url=url, fetched_at=when, status=200, extraction=ext))

    def add(self, page: Page) -> None:
        self.fetch(page.outlet, page.url, page.seen, page.title, page.authors, page.published, page.language, page.text)
        for when, body in page.edits:
            self.fetch(page.outlet, page.url, when, page.title, page.authors, page.published, page.language, body)

    def ids(self) -> dict[str, int]:
        with self.engine.connect() as conn:
            by_url = dict(conn.execute(text("SELECT canonical_url, id FROM articles")).all())
        return {p.key: by_url[p.url] for p in PAGES}


def build_archive(database_url: str, root: Path) -> tuple[Archive, dict[str, int]]:
    archive = Archive(make_engine(database_url), root / "warcs")
    for page in PAGES:
        archive.add(page)
    return archive, archive.ids()


@pytest.fixture
def built(database_url: str, tmp_path: Path):
    archive, ids = build_archive(database_url, tmp_path)
    yield archive, ids
    archive.engine.dispose()


def found(engine: Engine, query: str, flt: SearchFilters | None = None, **kw: object) -> list[int]:
    return [h.article_id for h in search(engine, query, flt or SearchFilters(), **kw).hits]  # type: ignore[arg-type]


def has_unaccent(engine: Engine) -> bool:
    if engine.dialect.name == "sqlite":
        return True
    with engine.connect() as conn:
        return conn.execute(text(f"SELECT to_tsvector('{fts.PG_CONFIG}', 'café') @@ 'cafe'::tsquery")).scalar()


# -- the syntax, without a database ---------------------------------------------------------------
@pytest.mark.parametrize(("query", "fts5"), [
    ("oscars red carpet", '("oscars" AND "red" AND "carpet")'),
    ('"red carpet" -golden', '("red carpet" NOT "golden")'),
    ('-"golden globes" carpet', '("carpet" NOT "golden globes")'),
    ("emma NOT stone", '("emma" NOT "stone")'),
    ("stone OR gosling lanthimos", '(("stone" OR "gosling") AND "lanthimos")'),  # OR binds tighter than AND
    ("stone AND gosling OR lanthimos", '("stone" AND ("gosling" OR "lanthimos"))'),
    ("(stone AND gosling) OR lanthimos", '(("stone" AND "gosling") OR "lanthimos")'),
    ("a AND (b OR c) NOT d", '("a" AND ("b" OR "c") NOT "d")'),
    ("-(a OR b) c", '("c" NOT ("a" OR "b"))'),
    ("NOT NOT a", '"a"'),
    ("a OR b OR c", '("a" OR "b" OR "c")'),
    ("gos* e-mail*", '("gos" * AND "e mail" *)'),
    ('title:"red carpet" author:ann* x', '(title : "red carpet" AND authors : "ann" * AND "x")'),
    ("title:(a OR -b)", None),  # NOT without a positive side: FTS5 cannot say it, SQL does
    ("outlet:variety a", None),
    ("e-mails:", '"e mails"'),
    ('"unbalanced phrase', '"unbalanced phrase"'),
    ("NEAR(a b)", '("a" AND "b")'),
    ("and or not", '("and" AND "or" AND "not")'),  # operators are upper case
    ("x\x00y - *", '("x" AND "y")'),
    ('say ""hello""', '("say" AND "hello")'),
    ("café", '"café"'),
])
def test_translation_to_fts5(query: str, fts5: str | None) -> None:
    assert to_fts5(parse(query).root) == fts5


@pytest.mark.parametrize(("query", "warning"), [
    ('"unbalanced', "unbalanced"), ("(a b", "unbalanced '('"), ("a b)", "unmatched ')'"), ("a OR", "OR needs"),
    ("AND a", "AND needs"), ("a NOT", "nothing after it"), ("NEAR(a b, 3)", "NEAR"), ("site:variety.com x", "site:"),
    ("go*ing", "'*' works only at the end"), ("oscars^2", "boost"), ("a~", "proximity"),
    ("(" * 20 + "a" + ")" * 20, "nested deeper"),
])
def test_syntax_read_as_words_is_a_warning(query: str, warning: str) -> None:
    parsed = parse(query)
    assert any(warning in w for w in parsed.warnings), parsed.warnings
    assert all("\n" not in w for w in parsed.warnings)


@pytest.mark.parametrize("query", ["(-" * 999 + "x y", "(" * 1999 + "x", "NOT " * 498 + "x", "title:" * 300 + "x",
                                   "(a " * 600 + ")" * 600, "-(" * 999 + "x"])
def test_deep_nesting_at_the_length_limit_parses_or_is_a_syntax_error(query: str) -> None:
    try:  # never a RecursionError: parentheses past MAX_DEPTH are dropped while lexing
        parsed = parse(query[:MAX_LENGTH])
    except QuerySyntaxError:
        return
    assert parsed.wanted() and (to_fts5(parsed.root) or "").count('"') % 2 == 0


def test_clean_syntax_has_no_warnings() -> None:
    for query in ("oscars red carpet", 'title:"a b" -(c OR d) e*', "emma NOT stone", "トランプ 戦術", "e-mails:"):
        assert parse(query).warnings == (), query


@pytest.mark.parametrize("query", ["-gossip", '-"red carpet" -x', "NOT (a OR b)", "***", "-", '""', "   \t ",
                                   "OR OR", ")(", "NOT", "AND"])
def test_nothing_to_look_for_is_a_syntax_error_with_a_hint(query: str) -> None:
    with pytest.raises(QuerySyntaxError) as err:
        parse(query)
    assert isinstance(err.value, ConfigError) and err.value.exit_code == 2 and err.value.hint


def test_limits_are_syntax_errors() -> None:
    with pytest.raises(QuerySyntaxError):
        parse(" ".join(f"w{i}" for i in range(MAX_TERMS + 1)))
    with pytest.raises(QuerySyntaxError):
        parse("x" * 5000)


def test_postgresql_query_carries_user_text_only_as_parameters() -> None:
    hostile = "it's'); DROP TABLE articles; -- \"x"
    for query in (hostile, f"title:({hostile})", f"{hostile}*"):
        compiled = to_tsquery(parse(query).root).compile(dialect=postgresql.dialect())
        assert "DROP" not in str(compiled) and "it's" not in str(compiled)
        assert any("DROP" in str(value) for value in compiled.params.values())


# -- search on both backends ----------------------------------------------------------------------
HOSTILE = ["e-mails:", '"unbalanced', "-", "OR OR", "NEAR(", "NEAR(a b, 3)", "*", "^carpet", "title:carpet",
           "carpet:", '"', '""carpet""', "a AND OR NOT", "(red", "red)", "{title}: x", "'; DROP TABLE articles; --",
           "\\", "%", "_", "\u200b", "🎬 carpet", "col:\"x", "+red -", "NOT", "AND", "carpet*"]


def test_hostile_queries_are_queries_not_crashes(built) -> None:
    archive, _ids = built
    refused = []
    for query in HOSTILE:
        try:
            result = search(archive.engine, query)
        except QuerySyntaxError:
            refused.append(query)
            continue
        assert result.total == len(result.hits), query
    # nothing to look for: a clear error
    assert refused == ["-", "OR OR", "NEAR(", "*", '"', "\\", "%", "_", "\u200b", "NOT", "AND"]


def test_words_phrases_or_and_exclusion(built) -> None:
    archive, ids = built
    engine = archive.engine
    assert set(found(engine, "lanthimos")) == {ids["stone"], ids["kino"], ids["bugonia"]}
    assert set(found(engine, "red carpet")) == {ids["stone"], ids["globes"]}
    assert set(found(engine, '"red carpet"')) == {ids["stone"], ids["globes"]}
    assert found(engine, '"carpet red"') == []
    assert set(found(engine, "gosling OR plemons")) == {ids["globes"], ids["bugonia"]}
    assert found(engine, "lanthimos -stone") == [ids["kino"]]
    assert found(engine, 'lanthimos -"emma stone" -kaffee') == []
    assert found(engine, "emails") == [ids["leak"]]
    assert found(engine, '"e-mails:"') == [ids["globes"]]
    assert found(engine, "carpet*") == found(engine, "carpet")


def test_title_matches_rank_first_and_snippets_are_highlighted(built) -> None:
    archive, ids = built
    result = search(archive.engine, "lanthimos")
    assert result.hits[0].article_id == ids["bugonia"]  # in the title, and twice in the text
    assert result.hits[0].rank >= result.hits[1].rank >= result.hits[2].rank
    start, stop = HIGHLIGHT
    for hit in result.hits:
        assert f"{start}Lanthimos{stop}" in hit.snippet, hit.snippet
    [hit] = search(archive.engine, '"red carpet" stylists').hits
    assert f"{start}Stylists{stop}" in hit.snippet and hit.snippet.count(start) >= 2
    assert hit.title == "Red carpet fashion at the Golden Globes" and hit.outlet == "Screen Post"
    assert hit.url == "https://screen.example/news/globes-carpet" and hit.versions == 1


def test_diacritics_do_not_matter(built) -> None:
    archive, ids = built
    if not has_unaccent(archive.engine):
        pytest.skip("PostgreSQL extension unaccent is not available here: accents matter on this server")
    for query in ("cafe", "café", "CAFÉ", "uber kaffee"):
        assert found(archive.engine, query) == [ids["kino"]], query
    assert found(archive.engine, "garcia") == [ids["globes"]]  # authors are indexed (weight between title/text)
    assert found(archive.engine, "jurgen muller") == [ids["kino"]]
    [hit] = search(archive.engine, "cafe").hits
    assert f"{HIGHLIGHT[0]}Café{HIGHLIGHT[1]}" in hit.snippet


def test_each_filter(built) -> None:
    archive, ids = built
    e = archive.engine

    def listed(**kw: object) -> set[int]:
        return set(found(e, "", SearchFilters(**kw)))  # type: ignore[arg-type]

    assert listed(outlet="variety wire") == {ids["stone"], ids["bugonia"]}
    with pytest.raises(ConfigError) as err:
        listed(outlet="Nope Times")
    assert "Kino Zeitung" in (err.value.hint or "")
    assert listed(author="ann") == {ids["stone"], ids["bugonia"]}
    assert listed(author="garc") == {ids["globes"]} and listed(author="100%") == set()
    assert listed(published_from=datetime(2026, 11, 1, tzinfo=UTC)) == {ids["globes"], ids["kino"]}
    assert listed(published_to=datetime(2026, 10, 31, tzinfo=UTC)) == {ids["stone"], ids["leak"]}
    assert listed(published_from=datetime(2026, 10, 5, 18), published_to=datetime(2026, 10, 5, 18, 1)) == {ids["stone"]}
    assert listed(seen_from=datetime(2026, 9, 1, tzinfo=UTC), seen_to=datetime(2026, 10, 1, tzinfo=UTC)) \
        == {ids["bugonia"]}
    assert listed(language="en") == {ids["stone"], ids["globes"], ids["bugonia"], ids["leak"]}
    assert listed(language="EN-gb") == {ids["globes"]} and listed(language="de") == {ids["kino"]}
    assert listed(has_versions=True) == {ids["bugonia"]}
    assert listed(has_versions=False) == {ids["stone"], ids["globes"], ids["kino"], ids["leak"]}
    # filters combine with a query
    assert found(e, "lanthimos", SearchFilters(outlet="Variety Wire", has_versions=False)) == [ids["stone"]]


def test_blank_query_lists_newest_first_with_paging(built) -> None:
    archive, ids = built
    order = [ids[k] for k in ("kino", "globes", "stone", "bugonia", "leak")]  # publication, else first seen
    assert found(archive.engine, "") == order
    page = search(archive.engine, "  ", limit=2, offset=2)
    assert [h.article_id for h in page.hits] == order[2:4] and page.total == 5 and not page.total_capped
    assert all(h.rank == 0.0 and h.snippet for h in page.hits)
    assert search(archive.engine, "", limit=2, offset=10).hits == []


def test_facets_per_outlet_and_month(built) -> None:
    archive, _ids = built
    result = search(archive.engine, "")
    assert result.facets["outlet"] == {"Screen Post": 2, "Variety Wire": 2, "Kino Zeitung": 1}
    assert result.facets["month"] == {"2026-11": 2, "2026-10": 1, "2026-09": 1, "2026-08": 1}
    result = search(archive.engine, "lanthimos", SearchFilters(language="en"))
    assert result.total == 2 and result.facets["outlet"] == {"Variety Wire": 2}
    assert result.facets["month"] == {"2026-10": 1, "2026-09": 1}
    assert search(archive.engine, "lanthimos", facets=False).facets == {}


def test_index_follows_new_versions_reextraction_and_deletes(built) -> None:
    archive, ids = built
    e = archive.engine
    page = PAGES[3]
    assert found(e, "plemons") == [ids["bugonia"]]  # only in the current (second) version
    rewritten = "Yorgos Lanthimos wrapped Bugonia. Willem Dafoe has a cameo."
    archive.fetch(page.outlet, page.url, datetime(2026, 10, 1, tzinfo=UTC), page.title, page.authors,
                  page.published, page.language, rewritten)
    assert found(e, "dafoe") == [ids["bugonia"]]
    assert found(e, "plemons") == []  # older versions stay indexed but are not what search returns
    assert search(e, "dafoe").hits[0].versions == 3
    # re-extraction updates a version in place: the UPDATE trigger / generated column follows
    with e.connect() as conn:
        capture_id = conn.execute(text("SELECT capture_id FROM article_versions v JOIN articles a "
                                       "ON a.current_version_id = v.id WHERE a.id = :a"), {"a": ids["bugonia"]}).scalar()
        if capture_id is None:
            capture_id = conn.execute(text("SELECT c.id FROM captures c JOIN articles a ON a.current_version_id = "
                                           "c.version_id WHERE a.id = :a"), {"a": ids["bugonia"]}).scalar()
    better = rewritten + " Mark Ruffalo too."
    archive.store.reextract_capture(capture_id, Extraction(
        is_article=True, reason=None, title="Bugonia wraps", authors=["Cara Editor"], text=better,
        content_hash=content_hash(rewritten)))
    assert found(e, "ruffalo") == [ids["bugonia"]] and found(e, "cara editor") == [ids["bugonia"]]
    assert found(e, '"starts shooting"') == []  # the old title is gone from the index
    with e.begin() as conn:  # deleting a version removes it from the index
        conn.execute(text("UPDATE captures SET version_id = NULL"))
        conn.execute(text("UPDATE articles SET current_version_id = NULL WHERE id = :a"), {"a": ids["leak"]})
        conn.execute(text("DELETE FROM article_versions WHERE article_id = :a"), {"a": ids["leak"]})
    assert found(e, "memo") == []
    if e.dialect.name == "sqlite":
        with e.connect() as conn:
            indexed = conn.execute(text(f"SELECT count(*) FROM {fts.FTS_TABLE} WHERE {fts.FTS_TABLE} MATCH 'memo'"))
            assert indexed.scalar() == 0


def test_install_is_idempotent_and_backfills_an_existing_archive(built) -> None:
    archive, ids = built
    e = archive.engine
    init_schema(e)  # twice: nothing breaks, nothing is indexed twice
    assert found(e, "lanthimos -stone") == [ids["kino"]]
    with e.begin() as conn:  # an archive from before full-text search existed
        if e.dialect.name == "sqlite":
            conn.execute(text(f"DROP TABLE {fts.FTS_TABLE}"))
            for suffix in ("ai", "ad", "au"):
                conn.execute(text(f"DROP TRIGGER {fts.FTS_TABLE}_{suffix}"))
        else:
            conn.execute(text(f"ALTER TABLE article_versions DROP COLUMN {fts.PG_COLUMN}"))
        strip_to_baseline(conn)  # and from before migrations
    init_schema(e)
    assert set(found(e, "lanthimos")) == {ids["stone"], ids["kino"], ids["bugonia"]}
    assert found(e, "plemons") == [ids["bugonia"]]


def test_article_detail(built) -> None:
    archive, ids = built
    detail = article_detail(archive.engine, ids["bugonia"])
    assert detail is not None
    assert detail["title"] == "Lanthimos starts shooting Bugonia" and detail["outlet"] == "Variety Wire"
    assert detail["authors"] == ["Ann Writer", "Bob Critic"] and detail["text"].endswith("joins the cast.")
    assert [v["current"] for v in detail["versions"]] == [False, True]
    assert detail["urls"][0]["url"] == PAGES[3].url and detail["captures_total"] == 2
    for capture in detail["captures"]:
        record = read_record(archive.warc_dir, capture["warc"]["file"], capture["warc"]["offset"],
                             capture["warc"]["length"])
        assert record.rec_type == "response" and record.target_uri == PAGES[3].url
        assert record.record_id == capture["warc"]["record_id"]
    assert article_detail(archive.engine, 10_000) is None


def test_naive_datetimes_are_utc(built) -> None:
    archive, ids = built
    flt = SearchFilters(published_from=datetime(2026, 11, 20, 18, 0), published_to=datetime(2026, 11, 20, 19, 0))
    assert found(archive.engine, "", flt) == [ids["kino"]]  # 19:30+01:00 is 18:30 UTC
    assert found(archive.engine, "", SearchFilters(seen_from=datetime(2026, 11, 20, 20) + timedelta(seconds=1))) == []


def test_broad_queries_look_at_the_newest_window(built, monkeypatch: pytest.MonkeyPatch) -> None:
    # The package re-exports the function ``search`` under the module's own name, so the module
    # itself is reached through the import system, not as ``archive.query.search``.
    search_module = importlib.import_module("archive.query.search")

    archive_, ids = built
    monkeypatch.setattr(search_module, "COUNT_CAP", 2)  # the window, small enough for five articles
    result = search(archive_.engine, "lanthimos")  # three matches; the two stored last are looked at
    assert result.total == 2 and result.total_capped
    assert {h.article_id for h in result.hits} == {ids["bugonia"], ids["kino"]}
    assert sum(result.facets["outlet"].values()) == 2
    listing = search(archive_.engine, "", limit=10)
    assert listing.total == 2 and listing.total_capped and len(listing.hits) == 5  # paging is not capped
    exact = search(archive_.engine, "lanthimos", SearchFilters(outlet="Kino Zeitung"))
    assert exact.total == 1 and not exact.total_capped
