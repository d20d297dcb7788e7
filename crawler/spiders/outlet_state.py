"""Per-outlet state of a press crawl: its bounds, what it read already this run and what it
knew before (validators, last captures), and the outlet's download-slot settings."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from archive.db.frontier import KnownPage
from archive.db.kinds import CaptureKind
from archive.db.records import DocumentState
from archive.outlets import Outlet
from crawler.spiders.documents import SitemapIndexes
from crawler.traps import QueryVariantCap

# Discovery requests outrank pages so a run finds articles early; article pages outrank listings.
PRIORITY = {CaptureKind.ROBOTS: 30, CaptureKind.SITEMAP: 20, CaptureKind.FEED: 20, CaptureKind.PAGE: 10,
            CaptureKind.LISTING: 0}


@dataclass
class OutletState:
    """Per-outlet crawl bounds. ``listings`` holds at most ``max_pages`` canonical listing URLs;
    article pages are deduplicated by the frontier's claims, not in memory."""

    outlet: Outlet
    listings: set[str] = field(default_factory=set)
    discovery_seen: set[str] = field(default_factory=set)
    documents: dict[str, DocumentState] = field(default_factory=dict)
    known: dict[str, KnownPage] = field(default_factory=dict)  # listing/sitemap/feed captures, by canonical URL
    indexes: SitemapIndexes = field(default_factory=SitemapIndexes)
    fetched: int = 0
    budget_exhausted: bool = False
    query_cap: QueryVariantCap = field(default_factory=lambda: QueryVariantCap(0))
    # The sitemaps robots.txt lists. RobotsTxtMiddleware fetches robots.txt once per process, so a
    # distributed worker seeds every later cycle with the list it read (``_start_requests``); and
    # the first cycle too when robots.txt came in before this worker seeded it (a request left in
    # the shared queue went out first): those sitemap requests met the last cycle's fingerprints.
    robots_sitemaps: list[str] = field(default_factory=list)

    def remaining(self) -> int:
        return max(0, self.outlet.max_pages - self.fetched)

    def new_cycle(self) -> None:
        """A long-running distributed worker starts another crawl cycle: what it read in the last
        one is read again (conditionally), with a fresh page budget."""
        self.listings.clear()
        self.discovery_seen.clear()
        self.fetched = 0
        self.budget_exhausted = False


def outlet_slot_settings(outlet: Outlet, settings: Any) -> dict[str, Any]:
    """Scrapy download-slot settings for one outlet: its own politeness, else the global one.
    Delays are randomised by the global DOWNLOAD_DELAY_JITTER, except an outlet's own delay,
    which is a minimum (``jitter`` 0; Scrapy 2.19's key, hence the pinned version)."""
    p = outlet.politeness
    slot: dict[str, Any] = {
        "concurrency": p.concurrency or settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN"),
        "delay": p.download_delay if p.download_delay is not None else settings.getfloat("DOWNLOAD_DELAY"),
    }
    if p.download_delay is not None:
        # An outlet's own delay is a promise to that site: not randomised below it (Scrapy's
        # default jitter would space requests anywhere from 0.5x to 1.5x the delay).
        slot["jitter"] = 0.0
    return slot
