"""Feeds the crawl from the database frontier, a batch at a time, while the spider runs.

The spider's ``start()`` ends with ``FrontierFeeder.requests()``: it claims due URLs (new ones
that discovery recorded, recrawls that fell due, leftovers of a killed run) only when the
scheduler runs low, so Scrapy's in-memory queue never holds more than a few batches however
large the frontier is. It stops when nothing is in flight anywhere and one last claim finds
nothing due; Scrapy then closes the spider as finished.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from typing import Any

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet import reactor
from twisted.internet.defer import CancelledError
from twisted.internet.task import deferLater

from archive.db.recheck import RecheckQuota
from archive.db.records import DueUrl
from crawler.runtime import runtime_of

logger = logging.getLogger(__name__)

POLL_SECONDS = 0.2


async def sleep(seconds: float) -> bool:
    """Wait; False when the wait was cancelled because the engine is stopping (SIGTERM,
    --max-runtime): Scrapy cancels start() processing with Twisted's CancelledError, which it
    would otherwise log as an error while reading start requests."""
    try:
        await maybe_deferred_to_future(deferLater(reactor, seconds, lambda: None))
    except CancelledError:
        return False
    return True


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
        self.rechecks = {outlet: RecheckQuota.of_budget(share, remaining()) for outlet, remaining in budgets.items()}

    def _engine_busy(self) -> bool:
        engine = self.crawler.engine
        scheduler = engine.scheduler
        scraper_slot = engine.scraper.slot
        return bool(engine.downloader.active) or (scheduler is not None and scheduler.has_pending_requests()) \
            or (scraper_slot is not None and not scraper_slot.is_idle())

    def _closing(self) -> bool:
        engine = self.crawler.engine
        slot = getattr(engine, "_slot", None)
        return not engine.running or slot is None or slot.closing is not None

    def _backlog(self) -> int:
        scheduler = self.crawler.engine.scheduler
        return len(scheduler) if scheduler is not None and hasattr(scheduler, "__len__") else 0

    async def _claim_round(self) -> list[Request]:
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
        while not self._closing():
            if self._backlog() >= self.batch:
                if not await sleep(POLL_SECONDS):
                    return
                continue
            busy_before = self._engine_busy()
            batch = await self._claim_round()
            for request in batch:
                yield request
            if batch:
                idle_rounds = 0
                continue
            # Nothing due now. Done once nothing is in flight (a response may still record new
            # URLs) and a claim made after that quiet moment found nothing either.
            if not busy_before and not self._engine_busy():
                idle_rounds += 1
                if idle_rounds >= 2:
                    return
            else:
                idle_rounds = 0
            if not await sleep(POLL_SECONDS):
                return

    def frontier_call(self, fn: Callable[..., Any], *args: Any) -> None:
        """Fire-and-forget frontier bookkeeping on the writer thread; a failure fails the run."""
        d = self.runtime.db(fn, *args)
        d.addErrback(lambda f: self.runtime.note_failure(f"frontier update failed: {f.value}"))
