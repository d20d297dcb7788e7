"""What the press spider reads off a response: its headers, whether it is HTML, and the
``PageItem`` a fetched page or listing becomes for the archive pipeline."""

from __future__ import annotations

from datetime import datetime, timezone

from scrapy.http import Response

from archive.db.kinds import CaptureKind
from archive.outlets import Outlet
from crawler.items import PageItem

HTML_TYPES = ("text/html", "application/xhtml+xml")


def header(response: Response, name: str) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None


def is_html(response: Response) -> bool:
    ctype = (header(response, "Content-Type") or "").split(";")[0].strip().lower()
    return ctype in HTML_TYPES or (not ctype and b"<html" in response.body[:2048].lower())


def page_item(response: Response, outlet: Outlet) -> PageItem:
    """An article candidate's or listing page's response, with what the WARC middleware and
    discovery put on its request (record pointer, revisit, discovery metadata)."""
    meta = response.meta
    pointer = meta.get("warc_pointer")
    discovery = dict(meta.get("pc_discovery") or {})
    is_page = meta.get("pc_kind") == CaptureKind.PAGE
    if meta.get("pc_kind") == CaptureKind.LISTING:
        discovery["kind"] = "listing"
    return PageItem(
        outlet=meta["pc_outlet"],
        requested_url=meta.get("pc_frontier_url") or (meta.get("redirect_urls") or [response.url])[0],
        final_url=response.url,
        status=response.status,
        content_type=header(response, "Content-Type"),
        body=response.body,
        warc_record_id=pointer.record_id if pointer else "",
        fetched_at=meta.get("fetched_at") or datetime.now(timezone.utc),
        redirect_urls=list(meta.get("redirect_urls") or [])[1:],
        etag=header(response, "ETag"),
        last_modified=header(response, "Last-Modified"),
        discovered_via=meta.get("pc_via"),
        discovery=discovery,
        revisit_of=meta.get("pc_revisit_of"),
        warc_pointer=pointer,
        recrawl=outlet.recrawl_delays if is_page else (),  # listings are re-read every run, not scheduled
        truncated="dataloss" in (response.flags or ()),  # body shorter than its Content-Length
    )
