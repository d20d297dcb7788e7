"""The distributed crawl's scheduler: scrapy-redis's, loaded only when PRESSCLIPS_REDIS_URL is set
(``crawler.cluster.apply_cluster_settings``), so a single-process crawl needs no scrapy-redis."""

from __future__ import annotations

from scrapy import Request
from scrapy_redis.scheduler import Scheduler


class SharedScheduler(Scheduler):
    """scrapy-redis's scheduler, counting its stats without the ``spider`` argument Scrapy 2.19
    deprecated (one warning per request otherwise)."""

    def enqueue_request(self, request: Request) -> bool:
        if not request.dont_filter and self.df.request_seen(request):
            self.df.log(request, self.spider)
            return False
        if self.stats:
            self.stats.inc_value("scheduler/enqueued/redis")
        self.queue.push(request)
        return True

    def next_request(self) -> Request | None:
        request: Request | None = self.queue.pop(self.idle_before_close)
        if request is not None and self.stats:
            self.stats.inc_value("scheduler/dequeued/redis")
        return request
