"""Items the press spider hands to the archive pipeline (plain dataclasses, no Scrapy Item)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from archive.db.frontier import DocumentRead
from archive.db.records import UrlSighting
from archive.warc.reader import WarcPointer


@dataclass
class PageItem:
    """A fetched page to extract and store; ``body`` is the decoded (not content-encoded) body."""

    outlet: str
    requested_url: str
    final_url: str
    status: int
    content_type: str | None
    body: bytes
    warc_record_id: str
    fetched_at: datetime
    redirect_urls: list[str] = field(default_factory=list)
    etag: str | None = None
    last_modified: str | None = None
    discovered_via: str | None = None
    discovery: dict[str, Any] = field(default_factory=dict)
    revisit_of: int | None = None  # capture id: the WARC holds a revisit record for this fetch
    warc_pointer: WarcPointer | None = None
    recrawl: Sequence[timedelta] = ()
    truncated: bool = False  # the connection closed before Content-Length bytes arrived

    def __repr__(self) -> str:  # keep the body out of Scrapy's item logs
        return f"PageItem({self.final_url!r}, status={self.status}, {len(self.body)} bytes)"


@dataclass
class UrlBatchItem:
    """URLs discovered on one sitemap, feed or listing page: the frontier record.

    ``documents`` are the sitemaps/feeds to remember as read once these URLs are stored: the last
    batch of a document carries it (a document listing nothing gets a batch of no URLs), and the
    last child of a sitemap index carries the index after itself. Stored after the URLs, never
    before, so a run killed in between leaves the document to be read again, not its URLs lost."""

    outlet: str
    sightings: list[UrlSighting]
    documents: list[DocumentRead] = field(default_factory=list)

    def __repr__(self) -> str:
        return f"UrlBatchItem({self.outlet!r}, {len(self.sightings)} urls, {len(self.documents)} documents)"


@dataclass
class AssetItem:
    """A page requisite's response, archived by the WARC middleware: its capture is remembered
    for the next run's conditional request, and the pages that use it are linked to it."""

    outlet: str
    url: str  # as claimed, before any redirect
    status: int
    warc_record_id: str
    fetched_at: datetime
    etag: str | None = None
    last_modified: str | None = None
    revisit_of: int | None = None


@dataclass
class RequisitesItem:
    """The requisites one page (or stylesheet) capture uses, by URL (claimed this run or before)."""

    page_record_id: str
    urls: list[str]

    def __repr__(self) -> str:
        return f"RequisitesItem({self.page_record_id!r}, {len(self.urls)} urls)"
