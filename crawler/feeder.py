"""Feeds the crawl from the database frontier, a batch at a time, while the spider runs.

The spider's ``start()`` ends with ``FrontierFeeder.requests()``: it claims due URLs (new ones
that discovery recorded, recrawls that fell due, leftovers of a killed run) only when the
scheduler runs low, so Scrapy's in-memory queue never holds more than a few batches however
large the frontier is. It stops when nothing is in flight anywhere and one last claim finds
nothing due; Scrapy then closes the spider as finished.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Iterable
from time import monotonic
from typing import TYPE_CHECKING, Any

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet import reactor
from twisted.internet.defer import CancelledError
from twisted.internet.task import deferLater

from archive.db.recheck import RecheckQuota
from archive.db.records import DueUrl
from crawler.runtime import runtime_of

if TYPE_CHECKING:
    from crawler.cluster import ClusterMember
    from crawler.spiders.outlet_state import OutletState

logger = logging.getLogger(__name__)

POLL_SECONDS = 0.2
SHARED_POLL_SECONDS = 0.5  # distributed: every worker polls the database and Redis this often
RECONCILE_SECONDS = 30.0  # distributed: how often a worker gives back what dead workers claimed


async def sleep(seconds: float) -> None:
    """Wait without holding the reactor. When the engine stops, Scrapy cancels the wait, and
    ``until_engine_stops`` ends start() there, as at any other wait."""
    await maybe_deferred_to_future(deferLater(reactor, seconds, lambda: None))


async def until_engine_stops(requests: AsyncIterator[Any], crawler: Crawler) -> AsyncIterator[Any]:
    """``requests`` (the spider's start), ended quietly when the engine stops while it waits.

    On SIGTERM or --max-runtime Scrapy cancels start() processing with Twisted's CancelledError,
    which lands at whatever start() awaits: a frontier claim, a reconcile, a sleep. Scrapy then
    logs it as an error reading start requests and counts a spider exception, so a worker stopped
    the way it is meant to be stopped would record a failed run. The database call it waited for
    still completes on the writer thread; a URL it claimed is free again once this run ends."""
    try:
        async for request in requests:
            yield request
    except CancelledError:
        if crawler.engine.running:
            raise  # not the engine stopping: something else cancelled, and that is an error
        logger.debug("start requests cancelled: the engine is stopping")


class FrontierFeeder:
    def __init__(self, crawler: Crawler, budgets: dict[str, Callable[[], int]],
                 make_request: Callable[[str, DueUrl], Request | None]) -> None:
        """``budgets``: outlet name → how many more pages it may fetch this run."""
        self.crawler = crawler
        self.runtime = runtime_of(crawler)
        self.frontier = self.runtime.store.frontier
        self.budgets = budgets
        self.make_request = make_request
        self.batch = max(8, crawler.settings.getint("CONCURRENT_REQUESTS", 16))
        # Known articles are re-checked within a share of each outlet's page budget (taken now,
        # before anything was fetched); see archive.db.recheck.
        share = self.runtime.config.recheck_share
        # Not in a distributed crawl: two workers would pick the same known articles to re-check
        # (their claim query does not see each other's picks); recrawls fall due as scheduled.
        shared = self.frontier.shared_claims
        self.rechecks: dict[str, RecheckQuota | None] = {
            outlet: None if shared else RecheckQuota.of_budget(share, remaining())
            for outlet, remaining in budgets.items()}

    def engine_busy(self) -> bool:
        engine = self.crawler.engine
        scheduler = engine.scheduler
        scraper_slot = engine.scraper.slot
        return bool(engine.downloader.active) or (scheduler is not None and scheduler.has_pending_requests()) \
            or (scraper_slot is not None and not scraper_slot.is_idle())

    def closing(self) -> bool:
        engine = self.crawler.engine
        slot = getattr(engine, "_slot", None)
        return not engine.running or slot is None or slot.closing is not None

    def backlog(self) -> int:
        scheduler = self.crawler.engine.scheduler
        return len(scheduler) if scheduler is not None and hasattr(scheduler, "__len__") else 0

    async def claim_round(self) -> list[Request]:
        """One claim per outlet with budget left (round robin keeps outlets fair)."""
        run_id = self.runtime.run_id
        assert run_id is not None
        per_outlet = max(2, self.batch // max(1, len(self.budgets)))
        requests: list[Request] = []
        for outlet, remaining in self.budgets.items():
            limit = min(per_outlet, remaining())
            if limit <= 0:
                continue
            due = await maybe_deferred_to_future(self.runtime.db(self.frontier.claim, outlet, run_id, limit, None,
                                                                 self.rechecks[outlet]))
            for item in due:
                request = self.make_request(outlet, item)
                if request is not None:
                    requests.append(request)
            if due:
                self.crawler.stats.inc_value("pressclips/frontier_claimed", len(due))
        return requests

    async def requests(self) -> AsyncIterator[Request]:
        idle_rounds = 0
        while not self.closing():
            if self.backlog() >= self.batch:
                await sleep(POLL_SECONDS)
                continue
            busy_before = self.engine_busy()
            batch = await self.claim_round()
            for request in batch:
                yield request
            if batch:
                idle_rounds = 0
                continue
            # Nothing due now. Done once nothing is in flight (a response may still record new
            # URLs) and a claim made after that quiet moment found nothing either.
            if not busy_before and not self.engine_busy():
                idle_rounds += 1
                if idle_rounds >= 2:
                    return
            else:
                idle_rounds = 0
            await sleep(POLL_SECONDS)

    async def shared_requests(self, member: ClusterMember, seed: Callable[[], Iterable[Request]],
                              states: Iterable[OutletState]) -> AsyncIterator[Request]:
        """A distributed worker's feed: seed a cycle when due (once across workers, under the
        lease), reconcile now and then, and claim due URLs into the shared queue. Ends when the
        engine stops (SIGTERM), or with ``until_idle`` once the shared queue and this worker
        have stayed idle that long (other workers may still add work until then)."""
        runtime = self.runtime
        until_idle = runtime.config.until_idle
        quiet_since: float | None = None
        next_reconcile = 0.0

        def new_cycle() -> None:
            for state in states:
                state.new_cycle()

        while not self.closing():
            now = monotonic()
            if member.try_seed():
                new_cycle()
                member.new_cycle()
                try:
                    for request in seed():
                        yield request
                finally:
                    member.seeded()
            elif member.new_cycle():
                new_cycle()
            if now >= next_reconcile:
                await maybe_deferred_to_future(runtime.db(member.reconcile, runtime.run_id))
                next_reconcile = now + RECONCILE_SECONDS
            batch = [] if self.backlog() >= self.batch else await self.claim_round()
            for request in batch:
                yield request
            if batch or self.engine_busy() or member.queue_depth():
                quiet_since = None
            elif quiet_since is None:
                quiet_since = now
            elif until_idle and now - quiet_since >= until_idle:
                logger.info("the shared queue stayed empty for %.0f s: leaving", until_idle)
                return
            if not batch:
                await sleep(SHARED_POLL_SECONDS)

    def frontier_call(self, fn: Callable[..., Any], *args: Any) -> None:
        """Fire-and-forget frontier bookkeeping on the writer thread; a failure fails the run."""
        d = self.runtime.db(fn, *args)
        d.addErrback(lambda f: self.runtime.note_failure(f"frontier update failed: {f.value}"))
