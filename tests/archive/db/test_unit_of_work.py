"""One unit of work: a Store or Frontier call holds one connection, never a second one inside its
transaction, and every database failure leaves the data layer as one ``DatabaseError``.

Counted with SQLAlchemy pool events on a real engine (SQLite and PostgreSQL): ``checkout`` and
``checkin`` bracket each connection a session takes, so two at once means a nested session.
The store under test is fresh on an existing archive, so its outlet cache is cold: the look-ups
that used to open their own session inside ``record_page`` are all exercised.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import Engine, event, text

from archive.db.engine import make_engine
from archive.db.kinds import CaptureKind, PageOutcome
from archive.db.records import CaptureRecord, PageResult, UrlSighting
from archive.db.session import Database
from archive.db.store import Store
from archive.errors import DatabaseError
from archive.extract.markup import content_hash
from archive.extract.result import Extraction
from archive.warc.reader import WarcPointer

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=timezone.utc)
HOME = "https://www.example-outlet.com"
OUTLET = ("outlet", HOME + "/", ["www.example-outlet.com"])


@dataclass
class Checkouts:
    """Connections checked out of the pool now, and the most ever at once."""

    now: int = 0
    most: int = 0

    def out(self, *_: Any) -> None:
        self.now += 1
        self.most = max(self.most, self.now)

    def back(self, *_: Any) -> None:
        self.now -= 1


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    Store(engine).ensure_outlets([OUTLET])  # the archive knows the outlet; the store under test does not yet
    yield engine
    engine.dispose()


@pytest.fixture
def checkouts(engine: Engine) -> Iterator[Checkouts]:
    counter = Checkouts()
    event.listen(engine, "checkout", counter.out)
    event.listen(engine, "checkin", counter.back)
    yield counter
    event.remove(engine, "checkout", counter.out)
    event.remove(engine, "checkin", counter.back)


def _article(body: str) -> Extraction:
    return Extraction(is_article=True, reason=None, title="A headline", authors=["Ann Writer"],
                      published="2026-11-01T09:30:00Z", language="en", text=body, content_hash=content_hash(body))


def _page(store: Store, n: int, url: str, ext: Extraction, **kw: Any) -> PageOutcome:
    record_id = f"<urn:uuid:00000000-0000-0000-0000-{n:012d}>"
    when = T0 + timedelta(hours=n)
    store.add_capture(CaptureRecord(url=url, fetched_at=when, status=kw.get("status", 200), mime="text/html",
                                    pointer=WarcPointer("a.warc.gz", n * 1000, 900, record_id, f"sha1:X{n}"),
                                    outlet="outlet", kind=CaptureKind.PAGE))
    return store.record_page(PageResult(outlet="outlet", warc_record_id=record_id, requested_url=url, final_url=url,
                                        fetched_at=when, extraction=ext, recrawl=(timedelta(days=1),),
                                        **{"status": 200, **kw}))


def test_record_page_never_opens_a_second_session(engine: Engine, checkouts: Checkouts) -> None:
    store = Store(engine)  # cold caches: outlet id and domains are read inside the page's transaction
    url = HOME + "/news/2026/11/01/story"
    body = "The body of the story. " * 30
    assert _page(store, 1, url, _article(body)) == PageOutcome.NEW
    assert _page(store, 2, url, _article(body + "An edit.")) == PageOutcome.UPDATED
    assert _page(store, 3, url, _article(body + "An edit.")) == PageOutcome.UNCHANGED
    assert _page(store, 4, url, Extraction(is_article=False, reason="http-404"), status=404) == PageOutcome.GONE
    assert _page(store, 5, HOME + "/about", Extraction(is_article=False, reason="captcha")) == PageOutcome.NOT_ARTICLE
    assert checkouts.most == 1 and checkouts.now == 0


def test_frontier_calls_never_open_a_second_session(engine: Engine, checkouts: Checkouts) -> None:
    store = Store(engine)
    frontier = store.frontier
    sightings = [UrlSighting(HOME + f"/news/{i}", "news-sitemap", {"lastmod": "2026-11-01T00:00:00Z"})
                 for i in range(3)]
    assert store.record_urls("outlet", sightings, T0) == 3
    run_id = store.start_run()
    due = frontier.claim("outlet", run_id, 10, T0 + timedelta(minutes=1))
    assert [d.url for d in due] == [s.url for s in sightings]
    frontier.fetch_failed(due[0].url, T0 + timedelta(minutes=2))
    frontier.record_document("outlet", HOME + "/sitemap.xml", status=200, etag='"e"', last_modified=None,
                             lastmod=None, windowed=False, now=T0)
    assert set(frontier.document_states("outlet")) == {HOME + "/sitemap.xml"}
    assert checkouts.most == 1 and checkouts.now == 0


def test_nested_transactions_are_separate_connections(engine: Engine, checkouts: Checkouts) -> None:
    # The counter itself can fail: two units of work open at once are two connections.
    db = Database(engine)
    with db.reading("outer") as outer, db.reading("inner") as inner:
        outer.execute(text("SELECT 1"))
        inner.execute(text("SELECT 1"))
    assert checkouts.most == 2


def test_a_failed_write_is_one_database_error_and_rolls_back(engine: Engine) -> None:
    store = Store(engine)
    with engine.begin() as conn:
        conn.execute(text("ALTER TABLE crawl_runs DROP COLUMN outlets_file"))  # a damaged archive
    with pytest.raises(DatabaseError, match=r"^starting the crawl run failed: ") as caught:
        store.start_run()
    assert "\n" not in str(caught.value)
    db = Database(engine)
    with pytest.raises(DatabaseError, match=r"^saving outlets failed: "):
        with db.transaction("saving outlets") as session:
            db.save_outlets(session, [("second", "https://second.example/", ["second.example"])])
            session.execute(text("SELECT * FROM no_such_table"))
    with db.reading("counting outlets") as session:
        assert session.scalar(text("SELECT count(*) FROM outlets WHERE name = 'second'")) == 0
