"""Discovery documents and listing pages on the frontier, on real SQLite and PostgreSQL: sitemaps
remembered in order, and what a re-request of a listing, sitemap or feed may refer to."""

from __future__ import annotations

from datetime import timedelta

from archive.db.frontier import LISTING_REASON, DocumentRead
from archive.db.kinds import CaptureKind
from archive.db.records import CaptureRecord, PageResult
from archive.db.store import Store
from archive.extract.result import Extraction
from archive.warc.reader import WarcPointer
from tests.archive.db.test_store import HOME, T0, article

LISTING = Extraction(is_article=False, reason=LISTING_REASON, extractor="")


def add_capture(store: Store, n: int, url: str, *, kind: CaptureKind | None = None, status: int = 200,
                refers_to: int | None = None) -> str:
    record_id = f"<urn:uuid:00000000-0000-0000-0000-{n:012d}>"
    store.add_capture(CaptureRecord(url=url, fetched_at=T0 + timedelta(minutes=n), status=status, mime="text/html",
                                    pointer=WarcPointer("a.warc.gz", n * 1000, 900, record_id, f"sha1:X{n}"),
                                    outlet="outlet", kind=kind, refers_to_id=refers_to))
    return record_id


def stored_page(store: Store, n: int, url: str, ext: Extraction, *, kind: CaptureKind, etag: str | None = None,
                status: int = 200) -> str:
    rid = add_capture(store, n, url, kind=kind, status=status)
    store.record_page(PageResult(outlet="outlet", warc_record_id=rid, requested_url=url, final_url=url,
                                 fetched_at=T0 + timedelta(minutes=n), status=status, extraction=ext, etag=etag,
                                 discovery={"kind": "listing"} if ext is LISTING else {}))
    return rid


def test_documents_are_remembered_together_and_in_order(store: Store) -> None:
    f = store.frontier
    index, child = f"{HOME}/sitemap_index.xml", f"{HOME}/sitemaps/pages.xml"
    f.record_documents("outlet", [DocumentRead(child, 200, '"c"', None, T0, False),
                                  DocumentRead(index, 200, None, "Sun, 01 Nov 2026 12:00:00 GMT", None, False)])
    states = f.document_states("outlet")
    assert states[child].etag == '"c"' and states[child].lastmod == T0
    assert states[index].etag is None and states[index].last_modified == "Sun, 01 Nov 2026 12:00:00 GMT"
    f.record_documents("outlet", [DocumentRead(child, 304, None, None, None, False)])
    assert f.document_states("outlet")[child].etag == '"c"'  # a 304 keeps what we knew
    f.record_documents("outlet", [])  # nothing to remember: no transaction, no error
    assert set(f.document_states("outlet")) == {child, index}


def test_revisitable_pages_are_good_listing_sitemap_and_feed_captures(store: Store) -> None:
    f = store.frontier
    home, section = f"{HOME}/", f"{HOME}/section/news/?page=2"
    sitemap, feed, story = f"{HOME}/sitemaps/pages.xml", f"{HOME}/feed.xml", f"{HOME}/news/a-long-story-slug"
    stored_page(store, 1, home, LISTING, kind=CaptureKind.LISTING, etag='"home"')
    stored_page(store, 2, section, LISTING, kind=CaptureKind.LISTING, etag='"s404"', status=404)
    stored_page(store, 3, story, article("Body text " * 40), kind=CaptureKind.PAGE, etag='"story"')
    add_capture(store, 4, sitemap, kind=CaptureKind.SITEMAP)
    f.record_documents("outlet", [DocumentRead(sitemap, 200, '"sm"', None, None, False)])
    add_capture(store, 5, feed, kind=CaptureKind.FEED)
    known = f.revisitable_pages("outlet")
    assert set(known) == {home, sitemap, feed}  # no article, no error page
    assert known[home].etag == '"home"' and known[home].previous.url == home
    assert known[sitemap].etag == '"sm"' and known[sitemap].previous.pointer.payload_digest == "sha1:X4"
    assert known[feed].etag is None  # captured, never remembered as read: asked for unconditionally

    # A later revisit of the homepage still refers to the capture that holds the payload.
    original = known[home].previous.capture_id
    rid = add_capture(store, 6, home, kind=CaptureKind.LISTING)
    store.record_page(PageResult(outlet="outlet", warc_record_id=rid, requested_url=home, final_url=home,
                                 fetched_at=T0 + timedelta(minutes=6), status=304,
                                 extraction=Extraction(is_article=False, reason="revisit", extractor=""),
                                 revisit_of=original, discovery={"kind": "listing"}))
    again = f.revisitable_pages("outlet")[home]
    assert again.previous.capture_id == original and again.etag == '"home"'
