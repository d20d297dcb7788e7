"""URL identity on real SQLite and PostgreSQL: variants (tracking, AMP, print, same text) are one
article and are not fetched again; a newer source date makes the article's canonical URL due,
conditionally, whichever variant was fetched first; the schema change is additive."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, inspect, select, text
from sqlalchemy.orm import Session

from archive.db.engine import make_engine
from archive.db.frontier import UrlSighting
from archive.db.models import SCHEMA_VERSION, Article, ArticleVersion, Capture, UrlState
from archive.db.store import Store
from archive.urls import identity_key
from tests.archive.db.test_frontier import SCHEDULE, url_row
from tests.archive.db.test_store import HOME, T0, article, count, page
from tests.legacykit import strip_to_baseline

STORY = f"{HOME}/news/2026/11/01/the-story"
TEXT = "The body of the story, long enough to be an article. " * 20


@pytest.mark.parametrize("copy", [
    f"{STORY}/amp/", f"{STORY}/amp", f"{HOME}/amp/news/2026/11/01/the-story", f"{STORY}?amp=1",
    f"{STORY}?outputType=amp", f"{STORY}/print/", f"{HOME}/print/news/2026/11/01/the-story", f"{STORY}?print=1",
    f"{STORY}?output=print&utm_source=x", f"{STORY}?ref=home#top",
])
def test_amp_print_and_tracking_copies_share_the_identity_key(copy: str) -> None:
    assert identity_key(copy) == identity_key(STORY) == STORY


def test_identity_key_keeps_what_names_another_page() -> None:
    assert identity_key(f"{HOME}/amp") == f"{HOME}/amp"  # a page called "amp", not a copy
    assert identity_key(f"{STORY}?amp=0") == f"{STORY}?amp=0"
    assert identity_key(f"{STORY}?id=3&print=1") == f"{STORY}?id=3"
    assert identity_key(f"{HOME}/news/printing-press") == f"{HOME}/news/printing-press"


@pytest.mark.parametrize("url", [
    f"{HOME}/amp/amp/news/x", f"{HOME}/news/x/print/amp/?amp&print=yes", "not a url", "", "https://", "mailto:a@b",
    f"{HOME}/AMP/news/x?outputType=AMP", f"{HOME}/news/%61mp/x",
])
def test_identity_key_is_total_and_idempotent(url: str) -> None:
    key = identity_key(url)
    assert identity_key(key) == key


def test_copies_of_a_known_or_due_url_are_recorded_but_not_due(store: Store) -> None:
    f = store.frontier
    assert f.add("outlet", [UrlSighting(STORY, "sitemap")], T0) == 1
    copies = [f"{STORY}/amp/", f"{STORY}?print=1", f"{STORY}?outputType=amp", f"{STORY}?ref=home"]
    assert f.add("outlet", [UrlSighting(u, "link") for u in copies], T0) == 0
    assert [d.url for d in f.claim("outlet", run_id=1, limit=10, now=T0)] == [STORY]
    assert all(url_row(store, u).next_due_at is None for u in copies)
    # in one batch the plain URL is the one made due, whatever the order
    other = f"{HOME}/news/other"
    assert f.add("outlet", [UrlSighting(other + "/amp/", "link"), UrlSighting(other, "sitemap")], T0) == 1
    assert url_row(store, other).next_due_at == T0 and url_row(store, other + "/amp/").next_due_at is None


@pytest.mark.parametrize("variant", [f"{STORY}?ref=home", f"{STORY}/amp/", f"{STORY}?output=print"])
def test_variant_fetched_first_then_canonical_sighted_is_one_article_never_fetched_again(
        store: Store, variant: str) -> None:
    f = store.frontier
    f.add("outlet", [UrlSighting(variant, "link")], T0)
    assert [d.url for d in f.claim("outlet", run_id=1, limit=10, now=T0)] == [variant]
    assert page(store, 1, variant, article(TEXT, canonical=STORY), when=T0) == "new"
    assert f.add("outlet", [UrlSighting(STORY, "sitemap"), UrlSighting(STORY + "/", "feed")],
                 T0 + timedelta(hours=1)) == 0
    assert f.claim("outlet", run_id=2, limit=10, now=T0 + timedelta(days=30)) == []
    with Session(store.engine) as session:
        article_id = session.scalar(select(Article.id))
        rows = session.execute(select(UrlState.url, UrlState.article_id)).all()
    assert count(store, Article) == 1
    assert {u for u, _ in rows} == {variant, STORY, STORY + "/"}
    assert {a for _, a in rows} == {article_id}


def test_a_due_variant_stops_being_due_once_its_article_is_fetched(store: Store) -> None:
    f = store.frontier
    short = f"{HOME}/s/12345"  # a short link: its identity is known only once the page names it
    f.add("outlet", [UrlSighting(STORY, "sitemap"), UrlSighting(short, "link")], T0)
    page(store, 1, STORY, article(TEXT, canonical=STORY))
    assert url_row(store, short).next_due_at == T0  # nothing says yet that it is the same page
    page(store, 2, f"{STORY}?ref=x", article(TEXT, canonical=STORY), when=T0 + timedelta(minutes=1))
    assert [d.url for d in f.claim("outlet", run_id=1, limit=10, now=T0 + timedelta(minutes=2))] == [short]


def test_same_text_on_the_same_outlet_joins_the_article_and_not_across_outlets(store: Store) -> None:
    store.ensure_outlets([("other", "https://other.example/", ["other.example"])])
    assert page(store, 1, STORY, article(TEXT)) == "new"
    # another address with no canonical link (a short link, a mobile path), identical text
    alias = f"{HOME}/m/12345"
    assert page(store, 2, alias, article(TEXT), when=T0 + timedelta(hours=1)) == "unchanged"
    assert count(store, Article) == 1 and count(store, ArticleVersion) == 1
    assert url_row(store, alias).article_id == url_row(store, STORY).article_id
    # an edit fetched through the alias is a new version of the same article, not a new article
    assert page(store, 3, alias, article(TEXT + " Update."), when=T0 + timedelta(hours=2)) == "updated"
    assert count(store, Article) == 1 and count(store, ArticleVersion) == 2
    # the same text on another outlet is syndication: its own article
    from archive.db.records import PageResult
    from tests.archive.db.test_store import capture
    rid = capture(store, 4, "https://other.example/wire/story", T0)
    assert store.record_page(PageResult(outlet="other", warc_record_id=rid, requested_url="https://other.example/wire/story",
                                        final_url="https://other.example/wire/story", fetched_at=T0, status=200,
                                        extraction=article(TEXT))) == "new"
    assert count(store, Article) == 2


def test_newer_lastmod_refetches_the_canonical_url_conditionally_after_a_variant_fetch(store: Store) -> None:
    f = store.frontier
    variant = f"{STORY}?utm_source=newsletter&ref=mail"
    f.add("outlet", [UrlSighting(variant, "link")], T0)
    assert [d.url for d in f.claim("outlet", run_id=1, limit=10, now=T0)] == [variant]
    page(store, 1, variant, article(TEXT, canonical=STORY), etag='"v1"', last_modified="Sun, 01 Nov 2026 12:00:00 GMT")
    # the sitemap names the canonical URL afterwards: known, not due, never fetched itself
    assert f.add("outlet", [UrlSighting(STORY, "sitemap", {"lastmod": "2026-11-01T08:00:00+00:00"})], T0) == 0
    assert url_row(store, STORY).fetch_count == 0 and url_row(store, STORY).next_due_at is None
    # the same lastmod again: nothing; a later one: the canonical URL is due, with the variant's validators
    assert f.add("outlet", [UrlSighting(STORY, "sitemap", {"lastmod": "2026-11-01T08:00:00+00:00"})], T0) == 0
    later = T0 + timedelta(days=2)
    assert f.add("outlet", [UrlSighting(STORY, "sitemap", {"lastmod": "2026-11-03T08:00:00+00:00"})], later) == 1
    [due] = f.claim("outlet", run_id=2, limit=10, now=later)
    assert due.url == STORY and due.etag == '"v1"' and due.last_modified.startswith("Sun")
    assert due.previous is not None and due.previous.url == variant
    assert page(store, 2, STORY, article(TEXT + " Correction.", canonical=STORY), when=later) == "updated"
    assert count(store, Article) == 1 and count(store, ArticleVersion) == 2


@pytest.mark.parametrize("key", ["lastmod", "published", "updated"])
def test_first_date_from_a_source_later_than_our_fetch_makes_the_canonical_due(store: Store, key: str) -> None:
    f = store.frontier
    amp = f"{STORY}/amp/"
    f.add("outlet", [UrlSighting(amp, "link")], T0)  # undated: a link
    page(store, 1, amp, article(TEXT, canonical=STORY), etag='"a1"')
    earlier = (T0 - timedelta(hours=1)).isoformat()
    assert f.add("outlet", [UrlSighting(STORY, "feed", {key: earlier})], T0 + timedelta(hours=1)) == 0
    newer = (T0 + timedelta(hours=3)).isoformat()
    now = T0 + timedelta(hours=4)
    assert f.add("outlet", [UrlSighting(STORY, "feed", {key: newer})], now) == 1
    [due] = f.claim("outlet", run_id=1, limit=10, now=now)
    assert due.url == STORY and due.etag == '"a1"' and due.previous is not None


def test_recrawl_schedule_goes_to_the_canonical_url_not_the_variant(store: Store) -> None:
    variant = f"{STORY}?ref=twitter"
    page(store, 1, variant, article(TEXT, canonical=STORY), etag='"v1"', recrawl=SCHEDULE)
    assert url_row(store, variant).next_due_at is None
    canonical = url_row(store, STORY)
    assert canonical.next_due_at is not None and canonical.etag == '"v1"'
    [due] = store.frontier.claim("outlet", run_id=1, limit=5, now=canonical.next_due_at)
    assert due.url == STORY and due.previous is not None


def test_older_archive_gains_the_identity_indexes(database_url: str) -> None:
    engine = make_engine(database_url)
    with engine.begin() as conn:
        conn.execute(text("DROP INDEX ix_versions_content_hash"))
        conn.execute(text("DROP INDEX ix_urls_outlet_last_fetched"))
        conn.execute(text("UPDATE meta SET value = '2' WHERE key = 'schema_version'"))
        # as made before migrations: no revision stamp, nothing from the revisions after the baseline
        strip_to_baseline(conn)  # and from before migrations
    engine.dispose()
    engine = make_engine(database_url)
    names = {i["name"] for t in ("urls", "article_versions") for i in inspect(engine).get_indexes(t)}
    assert {"ix_versions_content_hash", "ix_urls_outlet_last_fetched"} <= names
    with engine.connect() as conn:
        assert conn.execute(text("SELECT value FROM meta WHERE key='schema_version'")).scalar() == str(SCHEMA_VERSION)
        assert conn.execute(select(func.count()).select_from(Capture)).scalar() == 0
    engine.dispose()
