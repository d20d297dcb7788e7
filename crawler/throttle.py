"""Each outlet's own minimum delay holds while Scrapy's AutoThrottle adapts the rest.

AutoThrottle clamps a slot's delay to the global ``DOWNLOAD_DELAY`` only, so after the first
fast response it would undercut an outlet that asked for more (``[outlets.politeness]
download_delay``). The spider puts each outlet's requests in one download slot configured through
``DOWNLOAD_SLOTS`` (``crawler.spiders.press.outlet_slot_settings``); this extension keeps that
slot's delay at or above the slot's configured delay.

Public hooks only: it listens to ``response_downloaded`` and takes the slot key from the signal's
own ``request`` argument (``response.meta`` raises there since Scrapy 2.19: the response is not
yet bound to its request). It is registered after AutoThrottle (``EXTENSIONS`` order 10 > 0), and
Scrapy calls a signal's synchronous handlers in the order they were connected, so the clamp
applies to the delay AutoThrottle has just set. ``Downloader.slots`` and ``Slot.delay`` are the
same public attributes AutoThrottle itself adjusts.
"""

from __future__ import annotations

from typing import Any

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Response

SLOT_META_KEY = "download_slot"


def configured_delays(download_slots: dict[str, Any]) -> dict[str, float]:
    """Slot key → the minimum delay its ``DOWNLOAD_SLOTS`` entry asks for."""
    floors: dict[str, float] = {}
    for key, entry in download_slots.items():
        if isinstance(entry, dict) and entry.get("delay") is not None:
            floors[str(key)] = float(entry["delay"])
    return floors


class OutletDelayFloor:
    """Raise a download slot's delay back to its configured minimum after AutoThrottle moved it."""

    def __init__(self, crawler: Crawler, floors: dict[str, float]) -> None:
        self.crawler = crawler
        self.floors = floors
        self.clamped = 0  # how often AutoThrottle went below a floor (also in stats)
        crawler.signals.connect(self.response_downloaded, signal=signals.response_downloaded)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> OutletDelayFloor:
        if not crawler.settings.getbool("AUTOTHROTTLE_ENABLED"):
            raise NotConfigured  # without AutoThrottle slot delays never move from their setting
        return cls(crawler, configured_delays(crawler.settings.getdict("DOWNLOAD_SLOTS")))

    def response_downloaded(self, response: Response, request: Request, spider: Spider) -> None:
        key = request.meta.get(SLOT_META_KEY)
        if not isinstance(key, str) or key not in self.floors:
            return
        floor = self.floors[key]
        slot = self.crawler.engine.downloader.slots.get(key)
        if slot is not None and slot.delay < floor:
            slot.delay = floor
            self.clamped += 1
            self.crawler.stats.inc_value("pressclips/throttle_clamped")
