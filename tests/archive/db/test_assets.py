"""The asset ledger on real SQLite and PostgreSQL: one claim per URL per run, validators and the
last good capture for the next run, page links filled in when the asset's capture lands."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from archive.db.assets import AssetFetch
from archive.db.kinds import CaptureKind, RunStatus
from archive.db.models import Article, PageRequisite, UrlState
from archive.db.store import CaptureRecord, Store
from archive.warc.reader import WarcPointer

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=timezone.utc)
HOME = "https://www.example-outlet.com"
CSS, FONT = HOME + "/css/site.css", HOME + "/fonts/a.woff2"


def capture(store: Store, n: int, url: str, run_id: int, kind: CaptureKind, status: int = 200,
            refers_to_id: int | None = None) -> str:
    record_id = f"<urn:uuid:00000000-0000-0000-0000-{n:012d}>"
    store.add_capture(CaptureRecord(url=url, fetched_at=T0 + timedelta(seconds=n), status=status, mime="text/css",
                                    pointer=WarcPointer("a.warc.gz", n * 1000, 900, record_id, f"sha1:X{n}"),
                                    outlet="outlet", run_id=run_id, kind=kind, refers_to_id=refers_to_id))
    return record_id


def links(store: Store) -> list[tuple[int, str, int | None]]:
    with Session(store.engine) as session:
        rows = session.execute(select(PageRequisite.page_capture_id, PageRequisite.asset_url,
                                      PageRequisite.asset_capture_id).order_by(PageRequisite.id))
        return [tuple(r) for r in rows]  # type: ignore[misc]


def finish(store: Store, run_id: int) -> None:
    store.finish_run(run_id, status=RunStatus.OK, finish_reason="finished", counts={}, warc_files=[], stats={})


def test_a_url_another_live_run_claimed_is_its_own_until_that_run_ends(store: Store) -> None:
    # Distributed workers: one run each, running at once; a shared asset is fetched by one of them.
    worker_a, worker_b = store.start_run(), store.start_run()
    assert [c.url for c in store.assets.claim([CSS, FONT], "outlet", worker_a)] == [CSS, FONT]
    assert store.assets.claim([CSS, FONT], "outlet", worker_b) == []
    finish(store, worker_a)
    assert [c.url for c in store.assets.claim([CSS], "outlet", worker_b)] == [CSS]  # a run later: again
    worker_c = store.start_run()  # FONT's claimer ended; CSS's (worker_b) is running and keeps it
    assert [c.url for c in store.assets.claim([CSS, FONT], "outlet", worker_c)] == [FONT]
    store.finish_run(worker_b, status=RunStatus.KILLED, finish_reason="killed", counts={}, warc_files=[], stats={})
    finish(store, worker_c)
    assert [c.url for c in store.assets.claim([CSS, FONT], "outlet", store.start_run())] == [CSS, FONT]


def test_claims_links_and_the_next_runs_conditional_request(store: Store) -> None:
    run1 = store.start_run()
    [css, font] = store.assets.claim([CSS, FONT, CSS], "outlet", run1)
    assert (css.url, css.etag, css.previous) == (CSS, None, None) and font.url == FONT
    assert store.assets.claim([CSS, FONT], "outlet", run1) == []  # once per run, whoever asks
    page = capture(store, 1, HOME + "/news/story.html", run1, CaptureKind.PAGE)
    assert store.assets.link(page, [CSS, FONT]) == 2
    assert store.assets.link(page, [CSS]) == 0  # a link is recorded once
    assert links(store) == [(1, CSS, None), (1, FONT, None)]  # not captured yet
    css_record = capture(store, 2, CSS, run1, CaptureKind.ASSET)
    assert store.assets.record_fetch(AssetFetch(CSS, css_record, 200, T0, run1, etag='"v1"',
                                                last_modified="Sun, 01 Nov 2026 10:00:00 GMT")) == 2
    assert links(store) == [(1, CSS, 2), (1, FONT, None)]
    font_record = capture(store, 3, FONT, run1, CaptureKind.ASSET, status=404)
    store.assets.record_fetch(AssetFetch(FONT, font_record, 404, T0, run1, etag='"gone"'))
    assert store.assets.link(css_record, [FONT]) == 1  # a stylesheet's own requisites, linked to it
    assert links(store)[1:] == [(1, FONT, 3), (2, FONT, 3)]

    finish(store, run1)
    run2 = store.start_run()
    claims = {c.url: c for c in store.assets.claim([CSS, FONT], "outlet", run2)}
    assert (claims[CSS].etag, claims[CSS].last_modified) == ('"v1"', "Sun, 01 Nov 2026 10:00:00 GMT")
    assert claims[CSS].previous is not None and claims[CSS].previous.capture_id == 2
    assert (claims[FONT].etag, claims[FONT].previous) == (None, None)  # an error answer: asked in full
    page2 = capture(store, 4, HOME + "/news/story.html", run2, CaptureKind.PAGE)
    store.assets.link(page2, [CSS])
    assert links(store)[-1] == (4, CSS, 2)  # the latest capture so far, until this run's lands
    revisit = capture(store, 5, CSS, run2, CaptureKind.ASSET, status=304, refers_to_id=2)
    store.assets.record_fetch(AssetFetch(CSS, revisit, 304, T0, run2, revisit_of=2))
    assert links(store)[-1] == (4, CSS, 5) and links(store)[0] == (1, CSS, 2)  # earlier runs' links stand
    finish(store, run2)
    [again] = store.assets.claim([CSS], "outlet", store.start_run())
    assert again.previous is not None and again.previous.capture_id == 2 and again.etag == '"v1"'

    with Session(store.engine) as session:  # requisites never reach the frontier or the articles
        assert session.scalar(select(func.count()).select_from(UrlState)) == 0
        assert session.scalar(select(func.count()).select_from(Article)) == 0
