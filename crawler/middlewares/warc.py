"""Record every response to WARC, as delivered, and register its capture row.

Placed at priority 950 (DESIGN §4): ``process_response`` runs from high to low priority, so this
sees the body before HttpCompressionMiddleware (590) decodes it and before RedirectMiddleware (600)
turns a 3xx into a new request — every hop of a chain is archived with its real headers. The
record's pointer goes on ``request.meta["warc_pointer"]`` (``response.meta`` is not yet bound
to the request here). ``request.meta["dont_archive"] = True`` opts a request out.
"""

from __future__ import annotations

import logging
from datetime import datetime, timezone
from typing import Any

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Response
from scrapy.utils.defer import deferred_from_coro

from archive.db.kinds import CaptureKind
from archive.db.records import CaptureRecord, PreviousCapture
from archive.errors import WarcError
from archive.warc.writer import HttpExchange, payload_digest
from crawler.runtime import runtime_of

logger = logging.getLogger(__name__)


def _header_list(headers: Any) -> list[tuple[str, str]]:
    """Scrapy Headers → ordered (name, value) pairs, repeated headers kept (Set-Cookie)."""
    pairs: list[tuple[str, str]] = []
    for name in headers.keys():
        for value in headers.getlist(name):
            pairs.append((name.decode("latin-1"), value.decode("latin-1")))
    return pairs


def exchange_from(request: Request, response: Response, fetched_at: datetime) -> HttpExchange:
    return HttpExchange(
        url=request.url,
        method=request.method,
        request_headers=_header_list(request.headers),
        status=response.status,
        reason="",
        http_version=response.protocol or "HTTP/1.1",
        response_headers=_header_list(response.headers),
        body=response.body,
        fetched_at=fetched_at,
        ip_address=str(response.ip_address) if response.ip_address else None,
    )


def _capture_kind(purpose: str | None, url: str) -> CaptureKind | None:
    """The capture's kind from the request's purpose (``pc_kind``); robots.txt fetched by Scrapy has none."""
    if purpose:
        return CaptureKind(purpose)
    return CaptureKind.ROBOTS if url.endswith("/robots.txt") else None


def revisit_profile(response: Response, previous: PreviousCapture | None) -> str | None:
    """Which revisit record a re-fetch deserves: a 304 is server-not-modified; a 200 whose
    payload digest equals the previous capture's is identical-payload-digest; else none."""
    if previous is None:
        return None
    if response.status == 304:
        return "server-not-modified"
    if response.status == 200 and payload_digest(response.body) == previous.pointer.payload_digest:
        return "identical-payload-digest"
    return None


class WarcRecorderMiddleware:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.runtime = runtime_of(crawler)
        if not self.runtime.config.warc_enabled:
            raise NotConfigured

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> WarcRecorderMiddleware:
        return cls(crawler)

    def process_response(self, request: Request, response: Response) -> Response:
        if request.meta.get("dont_archive"):
            return response
        stats = self.crawler.stats
        fetched_at = datetime.now(timezone.utc)
        previous: PreviousCapture | None = request.meta.get("pc_previous")
        exchange = exchange_from(request, response, fetched_at)
        profile = revisit_profile(response, previous)
        try:
            if profile and previous is not None:
                pointer = self.runtime.warc.write_revisit(
                    exchange, refers_to=previous.pointer,
                    refers_to_uri=previous.url, refers_to_date=previous.fetched_at, profile=profile)
                request.meta["pc_revisit_of"] = previous.capture_id
                stats.inc_value(f"warc/revisits/{profile}")
            else:
                pointer = self.runtime.warc.write_exchange(exchange)
        except WarcError as exc:
            # A WARC we cannot write means nothing more can be archived faithfully: stop the run.
            self.runtime.note_failure(f"WARC write failed: {exc}")
            deferred_from_coro(self.crawler.engine.close_spider_async(reason="warc_error"))
            raise
        request.meta["warc_pointer"] = pointer
        request.meta["fetched_at"] = fetched_at
        stats.inc_value("warc/records", 2)
        stats.inc_value("warc/response_bytes", len(response.body))
        outlet = request.meta.get("pc_outlet")
        if outlet is None:
            found = self.runtime.outlet_for_url(request.url)
            outlet = found.name if found else None
        kind = _capture_kind(request.meta.get("pc_kind"), request.url)
        if 300 <= response.status < 400 and "Location" in response.headers:
            kind = CaptureKind.REDIRECT
        if profile and kind is not CaptureKind.ASSET:  # an asset stays one; refers_to_id marks the revisit
            kind = CaptureKind.REVISIT
        record = CaptureRecord(
            url=request.url, fetched_at=fetched_at, status=response.status,
            mime=(response.headers.get("Content-Type") or b"").decode("latin-1").split(";")[0].strip() or None,
            pointer=pointer, outlet=outlet,
            run_id=self.runtime.run_id, kind=kind, worker=self.runtime.worker,
            refers_to_id=previous.capture_id if profile and previous is not None else None,
        )
        d = self.runtime.db(self.runtime.store.add_capture, record)
        d.addErrback(lambda f: self.runtime.note_failure(f"capture row for {request.url} not saved: {f.value}"))
        return response
