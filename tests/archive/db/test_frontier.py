"""The database frontier on real SQLite and PostgreSQL: due URLs, claims per run, schedules,
back-off, upstream changes, revisits and gone articles."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import select
from sqlalchemy.orm import Session

from archive.db.frontier import MAX_FAILURES, UrlSighting, Window, backoff, next_due
from archive.db.models import Article, ArticleVersion, Capture, UrlState
from archive.db.store import PageResult, Store
from archive.extract.result import Extraction
from tests.archive.db.test_store import HOME, T0, article, capture, page

SCHEDULE = (timedelta(hours=1), timedelta(hours=6), timedelta(days=1), timedelta(days=3), timedelta(days=7))


def url_row(store: Store, url: str) -> UrlState:
    with Session(store.engine) as session:
        row = session.scalar(select(UrlState).where(UrlState.url == url))
        assert row is not None
        return row


def test_schedule_decays_from_publication_and_stops() -> None:
    published = T0
    assert next_due(published, T0 + timedelta(minutes=5), SCHEDULE) == T0 + timedelta(hours=1)
    assert next_due(published, T0 + timedelta(hours=2), SCHEDULE) == T0 + timedelta(hours=6)
    assert next_due(published, T0 + timedelta(days=2), SCHEDULE) == T0 + timedelta(days=3)
    assert next_due(published, T0 + timedelta(days=8), SCHEDULE) is None
    assert next_due(published, T0, ()) is None


def test_backoff_doubles_caps_and_gives_up() -> None:
    assert backoff(1, T0) == T0 + timedelta(hours=1)
    assert backoff(2, T0) == T0 + timedelta(hours=2)
    assert backoff(5, T0) == T0 + timedelta(hours=16)
    assert backoff(MAX_FAILURES, T0) is None


def test_window_admits_undated_and_in_range() -> None:
    w = Window(since=T0, until=T0 + timedelta(days=1))
    assert w.admits(None) and w.admits(T0) and w.admits(T0 + timedelta(hours=3))
    assert not w.admits(T0 - timedelta(seconds=1)) and not w.admits(T0 + timedelta(days=2))
    assert not Window().active and w.active


def test_new_urls_are_due_once_and_variants_are_not(store: Store) -> None:
    f = store.frontier
    a = f"{HOME}/news/one"
    became = f.add("outlet", [UrlSighting(a, "sitemap"), UrlSighting(a + "?utm_source=x", "link"),
                              UrlSighting(f"{HOME}/news/two", "feed")], T0)
    assert became == 2
    claimed = f.claim("outlet", run_id=1, limit=10, now=T0)
    assert sorted(d.url for d in claimed) == [a, f"{HOME}/news/two"]
    assert f.claim("outlet", run_id=1, limit=10, now=T0) == []  # once per run
    # a run killed before fetching leaves them due: the next run claims them again
    assert sorted(d.url for d in f.claim("outlet", run_id=2, limit=10, now=T0)) == [a, f"{HOME}/news/two"]
    assert f.add("outlet", [UrlSighting(a + "#comments", "link")], T0) == 0


def test_claim_respects_limit_and_due_order(store: Store) -> None:
    f = store.frontier
    f.add("outlet", [UrlSighting(f"{HOME}/news/{i}", "sitemap") for i in range(5)], T0)
    first = f.claim("outlet", run_id=1, limit=2, now=T0)
    rest = f.claim("outlet", run_id=1, limit=10, now=T0)
    assert len(first) == 2 and len(rest) == 3
    assert not {d.url for d in first} & {d.url for d in rest}
    assert f.claim("outlet", run_id=1, limit=10, now=T0 - timedelta(seconds=1)) == []


def test_fetched_article_is_scheduled_and_claim_carries_validators(store: Store) -> None:
    f = store.frontier
    url = f"{HOME}/news/fresh"
    f.add("outlet", [UrlSighting(url, "news-sitemap")], T0)
    fetched = T0 + timedelta(minutes=20)  # the article says it was published at T0 - 5 h (9:30 -05:00)
    page(store, 1, url, article("Fresh text."), when=fetched, etag='"v1"', last_modified="Sun, 01 Nov 2026 12:00:00 GMT",
         recrawl=SCHEDULE)
    row = url_row(store, url)
    published = datetime(2026, 11, 1, 14, 30, tzinfo=timezone.utc)
    assert row.next_due_at == published + timedelta(hours=1)
    assert row.fetch_count == 1 and row.last_capture_id is not None
    due = f.claim("outlet", run_id=7, limit=5, now=published + timedelta(hours=1))
    assert [d.url for d in due] == [url]
    assert due[0].etag == '"v1"' and due[0].last_modified.startswith("Sun")
    assert due[0].previous is not None and due[0].previous.pointer.payload_digest == "sha1:X1"


def test_upstream_date_moving_makes_a_fetched_url_due_again(store: Store) -> None:
    f = store.frontier
    url = f"{HOME}/news/edited"
    old = {"lastmod": "2020-01-01T00:00:00+00:00"}
    f.add("outlet", [UrlSighting(url, "sitemap", old)], T0)
    page(store, 1, url, article("Original."), recrawl=())
    assert url_row(store, url).next_due_at is None
    assert f.add("outlet", [UrlSighting(url, "sitemap", old)], T0) == 0  # same date: nothing to do
    assert f.add("outlet", [UrlSighting(url, "sitemap", {"lastmod": "2020-01-01T01:00:00+00:00"})], T0) == 1
    assert url_row(store, url).next_due_at == T0


def test_revisit_creates_no_version_and_refers_to_the_original(store: Store) -> None:
    url = f"{HOME}/news/same"
    page(store, 1, url, article("Same text."))
    with Session(store.engine) as session:
        original = session.scalar(select(Capture.id).where(Capture.url == url))
    rid = capture(store, 2, url, T0 + timedelta(hours=2))
    outcome = store.record_page(PageResult(
        outlet="outlet", warc_record_id=rid, requested_url=url, final_url=url, fetched_at=T0 + timedelta(hours=2),
        status=304, extraction=Extraction(is_article=False, reason="revisit", extractor=""), revisit_of=original))
    assert outcome == "unchanged"
    with Session(store.engine) as session:
        assert session.scalar(select(ArticleVersion.id).where(ArticleVersion.id > 1)) is None
        revisit = session.scalar(select(Capture).where(Capture.warc_record_id == rid))
        assert revisit.kind == "revisit" and revisit.refers_to_id == original and revisit.article_id is not None
        assert session.scalar(select(Article.last_seen)) == T0 + timedelta(hours=2)


def test_edit_records_what_changed_and_404_marks_gone_keeping_versions(store: Store) -> None:
    url = f"{HOME}/news/story"
    page(store, 1, url, article("First text.", title="Old title"))
    assert page(store, 2, url, article("Second text.", title="New title"), when=T0 + timedelta(hours=1)) == "updated"
    with Session(store.engine) as session:
        changes = session.scalars(select(ArticleVersion.changes).order_by(ArticleVersion.id)).all()
    assert changes[0] == [] and set(changes[1]) == {"title", "text"}
    gone = store.record_page(PageResult(
        outlet="outlet", warc_record_id=capture(store, 3, url, T0 + timedelta(hours=2)), requested_url=url,
        final_url=url, fetched_at=T0 + timedelta(hours=2), status=410,
        extraction=Extraction(is_article=False, reason="http-410", extractor="")))
    assert gone == "gone"
    with Session(store.engine) as session:
        art = session.scalar(select(Article))
        assert art.gone and art.gone_at == T0 + timedelta(hours=2)
        assert len(session.scalars(select(ArticleVersion)).all()) == 2
    # it comes back: no longer gone
    page(store, 4, url, article("Second text.", title="New title"), when=T0 + timedelta(hours=3))
    with Session(store.engine) as session:
        assert not session.scalar(select(Article.gone))


def test_fetch_failures_back_off_then_give_up(store: Store) -> None:
    f = store.frontier
    url = f"{HOME}/news/flaky"
    f.add("outlet", [UrlSighting(url, "sitemap")], T0)
    f.fetch_failed(url, T0)
    assert url_row(store, url).next_due_at == T0 + timedelta(hours=1)
    for _ in range(MAX_FAILURES):
        f.fetch_failed(url, T0)
    assert url_row(store, url).next_due_at is None
    other = f"{HOME}/news/forbidden"
    f.add("outlet", [UrlSighting(other, "sitemap")], T0)
    f.fetch_failed(other, T0, True)  # robots.txt forbids it: no retry
    assert url_row(store, other).next_due_at is None


def test_document_state_round_trip(store: Store) -> None:
    f = store.frontier
    sm = f"{HOME}/sitemap-1.xml"
    f.record_document("outlet", sm, status=200, etag='"s1"', last_modified=None, lastmod=T0, windowed=False)
    f.record_document("outlet", sm, status=304, etag=None, last_modified=None, lastmod=None, windowed=False)
    state = f.document_states("outlet")[sm]
    assert state.etag == '"s1"' and state.lastmod == T0 and not state.windowed
    assert f.claim("outlet", run_id=1, limit=10, now=T0 + timedelta(days=1)) == []  # documents are never due
