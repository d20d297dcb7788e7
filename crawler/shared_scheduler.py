"""The distributed crawl's scheduler: scrapy-redis's, loaded only when PRESSCLIPS_REDIS_URL is set
(``crawler.cluster.apply_cluster_settings``), so a single-process crawl needs no scrapy-redis."""

from __future__ import annotations

from collections import deque
from typing import Any

from scrapy import Request
from scrapy_redis.scheduler import Scheduler

from archive.db.kinds import CaptureKind


class SharedScheduler(Scheduler):
    """scrapy-redis's scheduler, counting its stats without the ``spider`` argument Scrapy 2.19
    deprecated (one warning per request otherwise).

    Page requisites stay in this worker, in memory: they follow the page this worker fetched, their
    callbacks belong to the requisite fetcher (which scrapy-redis cannot serialise: it only names
    spider methods), and each is claimed once per run in the database, so no other worker wants it.
    A killed worker's unfetched requisites are asked for again with the page's next capture."""

    def open(self, spider: Any) -> Any:
        self.local: deque[Request] = deque()
        return super().open(spider)

    def __len__(self) -> int:
        return int(super().__len__()) + len(self.local)

    def enqueue_request(self, request: Request) -> bool:
        if request.meta.get("pc_kind") == CaptureKind.ASSET:
            self.local.append(request)
            if self.stats:
                self.stats.inc_value("scheduler/enqueued/local")
            return True
        if not request.dont_filter and self.df.request_seen(request):
            self.df.log(request, self.spider)
            return False
        if self.stats:
            self.stats.inc_value("scheduler/enqueued/redis")
        self.queue.push(request)
        return True

    def next_request(self) -> Request | None:
        if self.local:
            if self.stats:
                self.stats.inc_value("scheduler/dequeued/local")
            return self.local.popleft()
        request: Request | None = self.queue.pop(self.idle_before_close)
        if request is not None and self.stats:
            self.stats.inc_value("scheduler/dequeued/redis")
        return request
