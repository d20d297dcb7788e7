"""A distributed worker's membership of the crawl: ``ClusterMember``, a Scrapy extension.

Enabled by ``PRESSCLIPS_REDIS_URL`` (``pressclips crawl --distributed``), ``NotConfigured``
otherwise. It beats (``archive.cluster.workers``) every few seconds with its run id, renews the
seeding lease while it holds it, decides when this worker seeds a cycle (``try_seed``: once
across workers, under the lease), and reconciles the frontier (``archive.cluster.reconcile``).
The request queue and dupefilter themselves are scrapy-redis's (``crawler.cluster_settings``).
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.task import LoopingCall

from archive.cluster.keys import ClusterKeys
from archive.cluster.workers import HEARTBEAT_INTERVAL, WorkerBeat, WorkerRegistry, this_worker
from crawler.config import CrawlConfig
from crawler.runtime import runtime_of

if TYPE_CHECKING:
    from archive.cluster.reconcile import ReconcileReport

logger = logging.getLogger(__name__)

SEED_LEASE_TTL = 30.0  # seconds; renewed with every heartbeat while seeding


class ClusterMember:
    def __init__(self, crawler: Crawler, config: CrawlConfig) -> None:
        # Imported here: the redis client comes with the optional [distributed] extra, and Scrapy
        # loads every listed extension's module even when it is not configured.
        from archive.cluster.connection import connect
        from archive.cluster.lease import Lease
        from archive.cluster.politeness import SharedPoliteness

        self.crawler = crawler
        self.config = config
        self.keys = ClusterKeys.for_database(config.archive.database_url)
        self.client = connect(config.redis_url)
        self.name = this_worker()  # as ArchiveRuntime.worker: same process, same name
        self.registry = WorkerRegistry(self.client, self.keys)
        self.seed_lease = Lease(self.client, self.keys.seed_lease, self.name, SEED_LEASE_TTL)
        # An in-flight place lapses after the longest a download may take (a killed worker's,
        # unless reconciliation frees it first).
        lease = crawler.settings.getfloat("DOWNLOAD_TIMEOUT") + 5
        self.politeness = SharedPoliteness(self.client, self.keys, lease)
        self.started_at = datetime.now(timezone.utc).isoformat()
        self.cycle: bytes | None = None
        self._beats: LoopingCall | None = None
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ClusterMember:
        config = CrawlConfig.from_settings(crawler.settings)
        if not config.redis_url:
            raise NotConfigured  # a single-process crawl (an argument would be logged as a warning)
        return cls(crawler, config)

    # -- lifecycle -----------------------------------------------------------------------------
    def spider_opened(self, spider: Spider) -> None:
        self._beats = LoopingCall(self.beat)
        self._beats.start(HEARTBEAT_INTERVAL, now=True)
        runtime = runtime_of(self.crawler)
        if runtime.is_open:
            # After the run recorder's step: the worker beats until its run is recorded, else
            # another worker's reconcile could take a finishing run for a dead one.
            runtime.add_closing_step(self.leave)
            # Before the run is recorded (a finished run's claims lapse): see hand_over.
            runtime.add_closing_step(self.hand_over, first=True)

    async def hand_over(self, reason: str) -> None:
        from archive.cluster.reconcile import hand_over

        runtime = runtime_of(self.crawler)
        if runtime.run_id is not None:
            moved = await maybe_deferred_to_future(
                runtime.db(hand_over, runtime.store.engine, self.client, self.keys, runtime.run_id))
            if moved:
                logger.info("handed over %d claimed URLs other workers are fetching", moved)

    async def leave(self, reason: str) -> None:
        import redis  # loaded already (archive.cluster.connection); see __init__

        if self._beats is not None and self._beats.running:
            self._beats.stop()
        try:
            self.seed_lease.release()
            self.registry.leave(self.name)
        except redis.RedisError as exc:  # the heartbeat lapses by itself
            logger.warning("could not leave the cluster cleanly: %s", exc)

    def spider_closed(self, spider: Spider, reason: str) -> None:
        """Closed without an open archive (no closing steps ran): stop beating all the same."""
        if self._beats is not None and self._beats.running:
            self._beats.stop()

    def beat(self) -> None:
        import redis

        runtime = runtime_of(self.crawler)
        stats = self.crawler.stats
        try:
            self.registry.beat(WorkerBeat(
                worker=self.name, run_id=runtime.run_id, started_at=self.started_at,
                beat_at=datetime.now(timezone.utc).isoformat(),
                requests=int(stats.get_value("downloader/response_count", 0)), seeding=self.seed_lease.held))
            if self.seed_lease.held and not self.seed_lease.renew():
                logger.warning("the seeding lease lapsed while this worker held it")
        except redis.RedisError as exc:  # one missed beat is not fatal; the next one may pass
            logger.warning("heartbeat to Redis failed: %s", exc)

    # -- what the spider asks ------------------------------------------------------------------
    def queue_depth(self) -> int:
        from archive.cluster.queue import queue_depth

        return queue_depth(self.client, self.keys)

    def try_seed(self) -> bool:
        """True when this worker is to seed a new cycle now: no cycle seeded within the seeding
        interval, and this worker holds the lease (released by ``seeded``). Starting the cycle
        forgets the last cycle's fingerprints, so its listings, sitemaps and feeds are fetched
        again, each once across workers."""
        if self.client.exists(self.keys.seed_cycle) or not self.seed_lease.acquire():
            return False
        if self.client.exists(self.keys.seed_cycle):  # seeded between our look and the lease
            self.seed_lease.release()
            return False
        self.client.delete(self.keys.dupefilter)
        cycle = f"{time.time():.6f} {self.name}"
        self.client.set(self.keys.seed_cycle, cycle, px=int(self.config.seed_interval * 1000))
        logger.info("seeding a new crawl cycle")
        return True

    def seeded(self) -> None:
        self.seed_lease.release()

    def new_cycle(self) -> bool:
        """True once each time another cycle has been seeded (by any worker) since the last call."""
        current = self.client.get(self.keys.seed_cycle)
        if current is None or current == self.cycle:
            return False
        self.cycle = current
        return True

    def reconcile(self, run_id: int | None) -> ReconcileReport:
        """Blocking (database and Redis): call it on the database thread."""
        from archive.cluster.reconcile import reconcile

        report = reconcile(runtime_of(self.crawler).store.engine, self.client, self.keys, run_id)
        if report.dead_runs:
            logger.info(report.line())
        return report


def cluster_of(crawler: Crawler) -> ClusterMember | None:
    """The worker's membership, or None in a single-process crawl."""
    member: Any = crawler.get_extension(ClusterMember)
    return member


def apply_cluster_settings(settings: Any, config: CrawlConfig) -> None:
    """scrapy-redis's scheduler and dupefilter under this archive's keys (DESIGN §4: the queue
    persists when a worker closes, so the first worker to stop does not flush it). Nothing for
    a single-process crawl."""
    if not config.redis_url:
        return
    keys = ClusterKeys.for_database(config.archive.database_url)
    for name, value in (("SCHEDULER", "crawler.shared_scheduler.SharedScheduler"),
                        ("SCHEDULER_QUEUE_CLASS", "scrapy_redis.queue.PriorityQueue"),
                        ("SCHEDULER_PERSIST", True),
                        ("SCHEDULER_QUEUE_KEY", keys.requests),
                        ("SCHEDULER_DUPEFILTER_KEY", keys.dupefilter),
                        ("DUPEFILTER_CLASS", "scrapy_redis.dupefilter.RFPDupeFilter"),
                        ("REDIS_URL", config.redis_url)):
        settings.set(name, value, priority="spider")
    # An outlet's politeness across workers (crawler.shared_politeness).
    handlers = dict(settings.getdict("DOWNLOAD_HANDLERS"))
    for scheme in ("http", "https"):
        handlers[scheme] = "crawler.shared_politeness.SharedPoliteHttpHandler"
    settings.set("DOWNLOAD_HANDLERS", handlers, priority="spider")
