"""Every request to an outlet waits in that outlet's download slot, robots.txt included.

The spider puts its own requests in one slot per outlet (``outlet:<name>``), whose delay and
concurrency come from the outlets file (``DOWNLOAD_SLOTS``, ``crawler.spiders.press``). Requests
Scrapy makes by itself, above all RobotsTxtMiddleware's robots.txt fetch, carry no slot and would
go to a per-hostname slot instead: the site would then get its robots.txt and its first page with
no delay between them, and outlets sharing a host (tests: ports on 127.0.0.1) would share that
slot. This middleware gives such requests their outlet's slot. It only sets the public
``download_slot`` meta key, in ``process_request``, which runs before the downloader picks the
slot.
"""

from __future__ import annotations

from scrapy import Request
from scrapy.crawler import Crawler

from archive.outlets import Outlet
from crawler.runtime import OutletIndex, runtime_of

SLOT_META_KEY = "download_slot"


def slot_name(outlet: Outlet) -> str:
    return f"outlet:{outlet.name}"


class OutletSlotMiddleware:
    def __init__(self, outlets: OutletIndex) -> None:
        self.outlets = outlets

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> OutletSlotMiddleware:
        return cls(runtime_of(crawler).outlet_index)

    def process_request(self, request: Request) -> None:
        if SLOT_META_KEY in request.meta:
            return
        outlet = self.outlets.outlet_for(request.url)
        if outlet is not None:
            request.meta[SLOT_META_KEY] = slot_name(outlet)
