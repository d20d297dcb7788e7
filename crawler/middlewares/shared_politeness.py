"""An outlet's politeness across all distributed workers (``archive.cluster.politeness``).

Each worker's Scrapy keeps its own download slots (delay, concurrency, AutoThrottle), which
would let N workers send an outlet N times its allowed rate. Before a request is downloaded it
waits here for a place in the outlet's shared slot in Redis: at most the outlet's
``concurrency`` in flight and starts at least ``download_delay`` apart, counted over every
worker; the place is given back when the response (or the failure) comes back. Chosen over
partitioning outlets among workers by consistent hashing because the scrapy-redis queue is one
queue: any worker may pop any outlet's request, and a worker leaving does not move outlets.
"""

from __future__ import annotations

from typing import Any
from uuid import uuid4

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Response
from twisted.internet import reactor
from twisted.internet.task import deferLater

from crawler.cluster import ClusterMember, cluster_of
from crawler.middlewares.slots import SLOT_META_KEY

TOKEN_META_KEY = "pc_shared_slot"


class SharedPolitenessMiddleware:
    def __init__(self, member: ClusterMember, slots: dict[str, dict[str, Any]]) -> None:
        self.member = member
        self.slots = slots

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SharedPolitenessMiddleware:
        member = cluster_of(crawler)
        if member is None:
            raise NotConfigured("a single-process crawl: Scrapy's own slots are the politeness")
        return cls(member, dict(crawler.settings.getdict("DOWNLOAD_SLOTS")))

    async def process_request(self, request: Request) -> None:
        slot = request.meta.get(SLOT_META_KEY)
        if not isinstance(slot, str) or slot not in self.slots:
            return  # not an outlet's request
        limits = self.slots[slot]
        token = f"{self.member.name}:{uuid4().hex}"
        concurrency, delay = int(limits.get("concurrency") or 1), float(limits.get("delay") or 0.0)
        while (wait := self.member.politeness.try_acquire(slot, token, concurrency, delay)) > 0:
            await deferLater(reactor, wait, lambda: None)
        request.meta[TOKEN_META_KEY] = (slot, token)

    def _release(self, request: Request) -> None:
        held = request.meta.pop(TOKEN_META_KEY, None)
        if held is not None:
            self.member.politeness.release(*held)

    def process_response(self, request: Request, response: Response) -> Response:
        self._release(request)
        return response

    def process_exception(self, request: Request, exception: BaseException) -> None:
        self._release(request)
