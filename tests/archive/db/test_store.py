"""The store on real SQLite and PostgreSQL: dedup by constraint, versions, URL variants, runs."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from archive.db.engine import make_engine
from archive.db.frontier import UrlSighting
from archive.db.models import Article, ArticleVersion, Capture, CrawlRun, UrlState
from archive.db.store import CaptureRecord, PageResult, Store, article_url
from archive.errors import DatabaseError
from archive.extract.markup import content_hash
from archive.extract.result import Extraction
from archive.query.articles import iter_articles, list_runs, outlet_stats
from archive.warc.reader import WarcPointer

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=timezone.utc)
HOME = "https://www.example-outlet.com"


def article(text: str, *, canonical: str | None = None, title: str = "A headline") -> Extraction:
    return Extraction(is_article=True, reason=None, title=title, authors=["Ann Writer"],
                      published="2026-11-01T09:30:00-05:00", language="en", canonical_url=canonical, text=text,
                      content_hash=content_hash(text))


def capture(store: Store, n: int, url: str, when: datetime = T0) -> str:
    record_id = f"<urn:uuid:00000000-0000-0000-0000-{n:012d}>"
    store.add_capture(CaptureRecord(url=url, fetched_at=when, status=200, mime="text/html",
                                    pointer=WarcPointer("a.warc.gz", n * 1000, 900, record_id, f"sha1:X{n}"),
                                    outlet="outlet"))
    return record_id


def page(store: Store, n: int, url: str, ext: Extraction, when: datetime = T0, **kw: object) -> str:
    rid = capture(store, n, url, when)
    return store.record_page(PageResult(outlet="outlet", warc_record_id=rid, requested_url=url, final_url=url,
                                        fetched_at=when, status=200, extraction=ext, **kw))  # type: ignore[arg-type]


def count(store: Store, model: type) -> int:
    with Session(store.engine) as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_url_variants_become_one_article(store: Store) -> None:
    url = HOME + "/news/2026/11/01/big-story/"
    text = "The body of the story. " * 30
    assert page(store, 1, url, article(text, canonical=url)) == "new"
    assert page(store, 2, url + "?utm_source=twitter&utm_medium=social", article(text, canonical=url)) == "unchanged"
    assert page(store, 3, url + "amp/", article(text + " ", canonical=url)) == "unchanged"
    assert page(store, 4, HOME.replace("www.", "WWW.") + "/news/2026/11/01/big-story", article(text)) == "unchanged"
    assert count(store, Article) == 1 and count(store, ArticleVersion) == 1
    [row] = list(iter_articles(store.engine))
    assert row["url"] == url
    assert url + "amp/" in row["urls"] and url + "?utm_source=twitter&utm_medium=social" in row["urls"]
    assert row["versions"] == 1 and row["warc"]["offset"] == 4000  # latest capture
    assert row["published"] == "2026-11-01T14:30:00+00:00"


def test_an_edit_is_a_new_version_of_the_same_article(store: Store) -> None:
    url = HOME + "/news/edited/"
    assert page(store, 1, url, article("First text of the piece. " * 20)) == "new"
    assert page(store, 2, url, article("First text of the piece. " * 20 + "Update: a correction."),
                when=T0 + timedelta(hours=1)) == "updated"
    assert page(store, 3, url, article("First text of the piece. " * 20 + "Update: a correction."),
                when=T0 + timedelta(hours=2)) == "unchanged"
    assert count(store, Article) == 1 and count(store, ArticleVersion) == 2
    [row] = list(iter_articles(store.engine))
    assert row["versions"] == 2 and row["text"].endswith("correction.")
    assert row["first_seen"].startswith("2026-11-01T12:00") and row["last_seen"].startswith("2026-11-01T14:00")


def test_syndicated_canonical_to_another_outlet_is_not_identity(store: Store) -> None:
    url = HOME + "/news/syndicated-copy/"
    key, display = article_url(url, "https://wire.example.org/original", ["www.example-outlet.com"])
    assert display == url and key == url.rstrip("/")
    page(store, 1, url, article("Wire copy. " * 40, canonical="https://wire.example.org/original"))
    with Session(store.engine) as session:
        assert session.scalar(select(Article.canonical_url)) == url


def test_not_articles_keep_capture_and_url_state(store: Store) -> None:
    url = HOME + "/tag/awards"
    outcome = page(store, 1, url, Extraction(is_article=False, reason="listing"))
    assert outcome == "not-article"
    assert count(store, Article) == 0
    with Session(store.engine) as session:
        cap = session.scalars(select(Capture)).one()
        assert (cap.kind, cap.reason) == ("not-article", "listing")
        state = session.scalars(select(UrlState)).one()
        assert state.last_status == 200 and state.last_capture_id == cap.id


def test_sightings_then_page_link_every_variant(store: Store) -> None:
    url = HOME + "/news/2026/11/02/found-in-feed/"
    store.record_urls("outlet", [UrlSighting(url + "?utm_campaign=x", "link"),
                                 UrlSighting(url, "feed", {"source": "feed", "title": "Found"})])
    store.record_urls("outlet", [UrlSighting(url, "sitemap", {"source": "sitemap"})])  # first discovery kept
    page(store, 1, url, article("Story found in a feed. " * 20), discovered_via="feed")
    with Session(store.engine) as session:
        states = session.scalars(select(UrlState).order_by(UrlState.url)).all()
        assert len(states) == 2 and all(s.article_id is not None for s in states)
        assert {s.discovered_via for s in states} == {"feed", "link"}
        assert [s.discovery for s in states if s.url == url] == [{"source": "feed", "title": "Found"}]


def test_variant_seen_after_the_article_joins_it(store: Store) -> None:
    url = HOME + "/news/2026/11/03/late-variant/"
    page(store, 1, url, article("Text of the story with a late variant. " * 20))
    store.record_urls("outlet", [UrlSighting(url + "?utm_source=newsletter#top", "link"),
                                 UrlSighting(HOME + "/news/unrelated/", "link")])
    with Session(store.engine) as session:
        linked = dict(session.execute(select(UrlState.url, UrlState.article_id)).all())
    assert linked[url + "?utm_source=newsletter#top"] == linked[url] is not None
    assert linked[HOME + "/news/unrelated/"] is None


def test_concurrent_writers_never_duplicate(store: Store) -> None:
    url = HOME + "/news/race/"
    text = "Race condition text. " * 30
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        try:
            page(store, 100 + n, url, article(text))
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert count(store, Article) == 1 and count(store, ArticleVersion) == 1 and count(store, Capture) == 6


def test_runs_and_outlet_stats(store: Store) -> None:
    run_id = store.start_run("outlets.toml")
    page(store, 1, HOME + "/news/one/", article("One. " * 100))
    store.finish_run(run_id, status="ok", finish_reason="finished",
                     counts={"pages_fetched": 3, "articles_new": 1, "bogus": 9}, warc_files=["a.warc.gz"], stats={})
    [run] = list_runs(store.engine)
    assert run["status"] == "ok" and run["articles_new"] == 1 and run["warc_files"] == ["a.warc.gz"]
    assert count(store, CrawlRun) == 1
    [stats] = outlet_stats(store.engine)
    assert stats["outlet"] == "outlet" and stats["articles"] == 1 and stats["captures"] == 1


def test_unreachable_and_invalid_databases_are_one_line_errors(tmp_path) -> None:
    with pytest.raises(DatabaseError) as err:
        make_engine("postgresql+psycopg://nobody@127.0.0.1:1/none")
    assert "\n" not in str(err.value) and "127.0.0.1" in str(err.value)
    with pytest.raises(DatabaseError):
        make_engine("notadb://x")
    with pytest.raises(DatabaseError):
        make_engine(f"sqlite:///{tmp_path}/missing-dir/x.sqlite3")
