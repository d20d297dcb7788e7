"""An outlet's politeness across all distributed workers (``archive.cluster.politeness``).

Each worker's Scrapy keeps its own download slots (delay, concurrency, AutoThrottle), which
would let N workers send an outlet N times its allowed rate. In a distributed crawl the HTTP
download handler waits, just before it sends a request, for a place in the outlet's shared slot
in Redis: at most the outlet's ``concurrency`` in flight and starts at least ``download_delay``
apart, counted over every worker; the place is given back when the response (or the failure)
is in. Here rather than in a downloader middleware because a middleware runs before the
worker's own download slot, which may hold the request longer and so bunch up the starts.

Chosen over partitioning outlets among workers by consistent hashing because the scrapy-redis
queue is one queue: any worker may pop any outlet's request, and workers joining or leaving
move nothing. Loaded only in a distributed crawl (``crawler.cluster.apply_cluster_settings``).
"""

from __future__ import annotations

from typing import Any
from uuid import uuid4

from scrapy import Request
from scrapy.core.downloader.handlers.http11 import HTTP11DownloadHandler
from scrapy.crawler import Crawler
from scrapy.http import Response
from twisted.internet import reactor
from twisted.internet.task import deferLater

from crawler.cluster import cluster_of
from crawler.middlewares.slots import SLOT_META_KEY


class SharedPoliteHttpHandler(HTTP11DownloadHandler):
    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        member = cluster_of(crawler)
        assert member is not None, "set as the download handler only in a distributed crawl"
        self.member = member
        self.slots: dict[str, dict[str, Any]] = dict(crawler.settings.getdict("DOWNLOAD_SLOTS"))

    async def download_request(self, request: Request) -> Response:
        slot = request.meta.get(SLOT_META_KEY)
        if not isinstance(slot, str) or slot not in self.slots:  # not an outlet's request
            return await super().download_request(request)
        limits = self.slots[slot]
        token = f"{self.member.name}:{uuid4().hex}"
        concurrency, delay = int(limits.get("concurrency") or 1), float(limits.get("delay") or 0.0)
        politeness = self.member.politeness
        while (wait := politeness.try_acquire(slot, token, concurrency, delay)) > 0:
            await deferLater(reactor, wait, lambda: None)
        try:
            return await super().download_request(request)
        finally:
            politeness.release(slot, token)
