"""Re-checks on real SQLite and PostgreSQL: a share of each run's budget goes to the least recently
fetched known articles, conditionally, and a 404/410 on a re-check marks the article gone."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from archive.db.frontier import UrlSighting
from archive.db.models import Article
from archive.db.recheck import RecheckQuota
from archive.db.store import PageResult, Store
from archive.extract.result import Extraction
from tests.archive.db.test_frontier import url_row
from tests.archive.db.test_store import HOME, T0, article, capture, page


def test_quota_is_a_share_of_the_run_budget() -> None:
    assert RecheckQuota.of_budget(0.1, 2000).allowed == 200
    assert RecheckQuota.of_budget(0.1, 5).allowed == 1  # a small budget still re-checks something
    assert RecheckQuota.of_budget(0.0, 2000).allowed == 0
    quota = RecheckQuota.of_budget(0.25, 40)
    assert quota.reserved(16) == 4 and quota.left() == 10
    quota.used = 9
    assert quota.reserved(16) == 1 and quota.left() == 1


def _known_articles(store: Store, n: int) -> list[str]:
    """``n`` fetched articles with no visit planned, the first one fetched longest ago."""
    urls = [f"{HOME}/news/known-{i}" for i in range(n)]
    for i, url in enumerate(urls):
        page(store, i + 1, url, article(f"Known article number {i}. " * 20), when=T0 + timedelta(hours=i),
             etag=f'"e{i}"')
    return urls


def test_claims_give_their_share_to_the_least_recently_fetched_articles(store: Store) -> None:
    f = store.frontier
    known = _known_articles(store, 5)
    f.add("outlet", [UrlSighting(f"{HOME}/news/new-{i}", "sitemap") for i in range(4)], T0)
    f.add("outlet", [UrlSighting(f"{HOME}/about", "link")], T0)
    store.record_page(PageResult(outlet="outlet", warc_record_id=capture(store, 99, f"{HOME}/about"),
                                 requested_url=f"{HOME}/about", final_url=f"{HOME}/about", fetched_at=T0, status=200,
                                 extraction=Extraction(is_article=False, reason="not-article", extractor="")))
    now = T0 + timedelta(days=30)
    quota = RecheckQuota.of_budget(0.5, 6)  # three re-checks this run
    first = f.claim("outlet", run_id=1, limit=4, now=now, rechecks=quota)
    # two slots of four are kept for re-checks though four URLs are due; due URLs come first
    assert [d.url for d in first] == [f"{HOME}/news/new-0", f"{HOME}/news/new-1", known[0], known[1]]
    assert first[2].etag == '"e0"' and first[2].previous is not None  # conditional
    rest = f.claim("outlet", run_id=1, limit=4, now=now, rechecks=quota)
    assert [d.url for d in rest] == [f"{HOME}/news/new-2", f"{HOME}/news/new-3", known[2]]
    assert quota.left() == 0
    assert f.claim("outlet", run_id=1, limit=4, now=now, rechecks=quota) == []  # the run can end
    for i in range(3):  # the re-checks are fetched: unchanged
        assert page(store, 10 + i, known[i], article(f"Known article number {i}. " * 20), when=now) == "unchanged"
    # the next run goes on where this one stopped: the not-article page is never re-checked
    quota = RecheckQuota.of_budget(1.0, 10)
    later = f.claim("outlet", run_id=2, limit=10, now=now + timedelta(days=2), rechecks=quota)
    assert [d.url for d in later] == [known[3], known[4], known[0], known[1], known[2]]


def test_one_recheck_per_article_at_the_url_fetched_last(store: Store) -> None:
    story = f"{HOME}/news/story"
    text = "The story text, long enough. " * 20
    page(store, 1, story + "?ref=home", article(text, canonical=story))
    page(store, 2, story, article(text, canonical=story), when=T0 + timedelta(hours=1))
    quota = RecheckQuota.of_budget(1.0, 10)
    due = store.frontier.claim("outlet", run_id=1, limit=10, now=T0 + timedelta(days=5), rechecks=quota)
    assert [d.url for d in due] == [story]


def test_scheduled_articles_are_not_rechecked_before_their_visit(store: Store) -> None:
    url = f"{HOME}/news/fresh"
    page(store, 1, url, article("Fresh article text. " * 20), recrawl=(timedelta(days=60),))
    assert url_row(store, url).next_due_at is not None
    quota = RecheckQuota.of_budget(1.0, 10)
    assert store.frontier.claim("outlet", run_id=1, limit=10, now=T0 + timedelta(days=1), rechecks=quota) == []


def test_a_404_on_recheck_marks_the_article_gone(store: Store) -> None:
    [url] = _known_articles(store, 1)
    now = T0 + timedelta(days=30)
    [due] = store.frontier.claim("outlet", run_id=1, limit=4, now=now, rechecks=RecheckQuota.of_budget(0.1, 100))
    assert due.url == url and due.etag == '"e0"'
    outcome = store.record_page(PageResult(
        outlet="outlet", warc_record_id=capture(store, 50, url, now), requested_url=url, final_url=url,
        fetched_at=now, status=404, extraction=Extraction(is_article=False, reason="http-404", extractor="")))
    assert outcome == "gone"
    with Session(store.engine) as session:
        assert session.execute(select(Article.gone, Article.gone_at)).one() == (True, now)
    assert url_row(store, url).last_fetched_at == now  # to the back of the re-check queue
    quota = RecheckQuota.of_budget(1.0, 10)
    assert store.frontier.claim("outlet", run_id=2, limit=4, now=now + timedelta(hours=23), rechecks=quota) == []
    assert [d.url for d in store.frontier.claim("outlet", run_id=2, limit=4, now=now + timedelta(days=1, seconds=1),
                                                  rechecks=quota)] == [url]


def test_schedule_without_a_publication_date_counts_from_first_sight(store: Store) -> None:
    url = f"{HOME}/news/undated"
    text = "An article that gives no date anywhere. " * 20
    undated = Extraction(is_article=True, reason=None, title="Undated", authors=[], published=None, language="en",
                         canonical_url=None, text=text, content_hash=article(text).content_hash)
    schedule = (timedelta(hours=1), timedelta(hours=6), timedelta(days=1))
    first_seen = T0 + timedelta(minutes=10)
    page(store, 1, url, undated, when=first_seen, recrawl=schedule)
    assert url_row(store, url).next_due_at == first_seen + timedelta(hours=1)
    page(store, 2, url, undated, when=first_seen + timedelta(hours=2), recrawl=schedule)
    assert url_row(store, url).next_due_at == first_seen + timedelta(hours=6)
    page(store, 3, url, undated, when=first_seen + timedelta(days=2), recrawl=schedule)
    assert url_row(store, url).next_due_at is None  # the schedule ended: from now on, re-checks only


def test_an_article_that_leaves_its_sitemap_is_rechecked_once(store: Store) -> None:
    from archive.db.frontier import DocumentRead
    from archive.db.models import UrlState

    f = store.frontier
    sitemap = f"{HOME}/sitemap.xml"
    kept, dropped = f"{HOME}/news/kept", f"{HOME}/news/dropped"

    def read(at: timedelta, listed: list[str], *, windowed: bool = False) -> None:
        read_at = T0 + at
        f.add("outlet", [UrlSighting(u, "sitemap", {"source": "sitemap", "sitemap": sitemap}) for u in listed],
              read_at + timedelta(seconds=5))
        f.record_documents("outlet", [DocumentRead(sitemap, 200, '"s"', None, None, windowed, read_at)],
                           read_at + timedelta(seconds=10))

    def due(url: str) -> bool:
        with Session(store.engine) as session:
            return session.scalar(select(UrlState.next_due_at).where(UrlState.url == url)) is not None

    read(timedelta(0), [kept, dropped])
    for n, url in enumerate((kept, dropped)):
        page(store, n + 1, url, article(f"Listed article {n}. " * 20), when=T0 + timedelta(minutes=1))
    assert not due(kept) and not due(dropped)  # fetched, no visit planned (corpus dates are old)
    read(timedelta(hours=1), [kept], windowed=True)  # --since/--until: a partial read says nothing
    assert not due(dropped)
    read(timedelta(hours=2), [kept])  # a full read without it: re-check it
    assert due(dropped) and not due(kept)
    page(store, 3, dropped, article("Listed article 1. " * 20), when=T0 + timedelta(hours=2, minutes=1))
    read(timedelta(hours=3), [kept])  # still not listed: once is enough
    assert not due(dropped)
