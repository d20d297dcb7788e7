"""The plain records the data layer exchanges with its callers (the crawler, re-extraction).

Every record that points into a WARC file carries one ``WarcPointer`` (file, offset, length, record
id, payload digest), the same type the WARC writer returns and ``read_record`` resolves.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from archive.db.kinds import CaptureKind
from archive.times import parse_aware
from archive.warc.reader import WarcPointer


class ExtractionLike(Protocol):
    """What the store needs of an extraction (``archive.extract.result.Extraction``), read-only so a
    frozen dataclass fits."""

    @property
    def is_article(self) -> bool: ...
    @property
    def reason(self) -> str | None: ...
    @property
    def title(self) -> str | None: ...
    @property
    def authors(self) -> list[str]: ...
    @property
    def published(self) -> str | None: ...
    @property
    def modified(self) -> str | None: ...
    @property
    def published_day(self) -> str | None: ...
    @property
    def date_source(self) -> str | None: ...
    @property
    def author_orgs(self) -> list[str]: ...
    @property
    def language(self) -> str | None: ...
    @property
    def canonical_url(self) -> str | None: ...
    @property
    def description(self) -> str | None: ...
    @property
    def site_name(self) -> str | None: ...
    @property
    def text(self) -> str: ...
    @property
    def content_hash(self) -> str: ...
    @property
    def extractor(self) -> str: ...


@dataclass(frozen=True)
class CaptureRecord:
    """An archived response as the crawler saw it, with its WARC pointer."""

    url: str
    fetched_at: datetime
    status: int
    mime: str | None
    pointer: WarcPointer
    outlet: str | None = None
    run_id: int | None = None
    kind: CaptureKind | None = None
    reason: str | None = None
    refers_to_id: int | None = None  # revisit records: the capture holding the payload
    worker: str | None = None  # the distributed worker that wrote it (archive.cluster)


@dataclass(frozen=True)
class PageResult:
    """What a fetched page turned out to be, ready to store in one transaction."""

    outlet: str
    warc_record_id: str
    requested_url: str
    final_url: str
    fetched_at: datetime
    status: int
    extraction: ExtractionLike
    redirect_urls: Sequence[str] = ()
    etag: str | None = None
    last_modified: str | None = None
    discovered_via: str | None = None
    discovery: dict[str, Any] = field(default_factory=dict)
    # The outlet's recrawl delays after publication; empty = never revisit.
    recrawl: Sequence[timedelta] = ()
    # Set when the WARC holds a revisit record (304, or the same payload as this capture).
    revisit_of: int | None = None

    def fetched_urls(self) -> list[str]:
        """Every URL of the fetch, in order and once each: requested, redirect hops, final."""
        return list(dict.fromkeys([self.requested_url, *self.redirect_urls, self.final_url]))


@dataclass(frozen=True)
class UrlSighting:
    url: str
    via: str  # news-sitemap | sitemap | feed | link | start
    discovery: dict[str, Any] = field(default_factory=dict)

    def dated(self) -> datetime | None:
        """The newest date the source gave (publication, lastmod, feed updated), if any."""
        found = [parse_aware(self.discovery.get(k)) for k in ("published", "lastmod", "updated")]
        dates = [d for d in found if d is not None]
        return max(dates) if dates else None


@dataclass(frozen=True)
class Window:
    """``--published-since``/``--published-until``: sitemap and feed entries dated outside it are never fetched."""

    since: datetime | None = None
    until: datetime | None = None

    @property
    def active(self) -> bool:
        return self.since is not None or self.until is not None

    def admits(self, when: datetime | None) -> bool:
        if when is None:  # undated entries can't be judged: fetch them
            return True
        return (self.since is None or when >= self.since) and (self.until is None or when <= self.until)


@dataclass(frozen=True)
class PreviousCapture:
    """The last capture of a URL: what a conditional request and a revisit record refer to."""

    capture_id: int
    url: str
    fetched_at: datetime
    status: int
    pointer: WarcPointer


@dataclass(frozen=True)
class DueUrl:
    url: str
    via: str | None
    discovery: dict[str, Any]
    etag: str | None
    last_modified: str | None
    previous: PreviousCapture | None


@dataclass(frozen=True)
class DocumentState:
    etag: str | None
    last_modified: str | None
    lastmod: datetime | None  # as the parent sitemap index last gave it
    windowed: bool  # last read with --published-since/--published-until, so entries may have been skipped


__all__ = ["CaptureRecord", "DocumentState", "DueUrl", "ExtractionLike", "PageResult", "PreviousCapture",
           "UrlSighting", "Window"]
