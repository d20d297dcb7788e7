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

The other way round too: AutoThrottle never goes below the global ``DOWNLOAD_DELAY`` (its
``mindelay``), so an outlet that asked for *less* (a fast site of one's own, a local mirror) would be
held at the global default after its first response. When an outlet's delay is below the global
one, AutoThrottle's ``mindelay`` is lowered to it once the spider opens, and every slot is then
raised back to its own floor: the outlet's configured delay, or ``DOWNLOAD_DELAY`` for any other
host (a requisite's CDN).
"""

from __future__ import annotations

from typing import Any

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.extensions.throttle import AutoThrottle
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
    """Keep each download slot's delay at or above its own floor while AutoThrottle adapts it."""

    def __init__(self, crawler: Crawler, floors: dict[str, float]) -> None:
        self.crawler = crawler
        self.floors = floors
        # Any slot that is not an outlet's (the global DOWNLOAD_DELAY is AutoThrottle's own floor
        # until an outlet asks for less).
        self.default_floor = crawler.settings.getfloat("DOWNLOAD_DELAY")
        self.clamped = 0  # how often AutoThrottle went below a floor (also in stats)
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.response_downloaded, signal=signals.response_downloaded)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> OutletDelayFloor:
        if not crawler.settings.getbool("AUTOTHROTTLE_ENABLED"):
            raise NotConfigured  # without AutoThrottle slot delays never move from their setting
        return cls(crawler, configured_delays(crawler.settings.getdict("DOWNLOAD_SLOTS")))

    def spider_opened(self, spider: Spider) -> None:
        """Let AutoThrottle go as low as the lowest outlet floor (it set ``mindelay`` from
        ``DOWNLOAD_DELAY`` in its own spider_opened handler, connected before this one)."""
        if not self.floors:
            return
        lowest = min(self.floors.values())
        for extension in self.crawler.extensions.middlewares:
            if isinstance(extension, AutoThrottle) and lowest < extension.mindelay:
                self.default_floor = extension.mindelay
                extension.mindelay = lowest

    def response_downloaded(self, response: Response, request: Request, spider: Spider) -> None:
        downloader = self.crawler.engine.downloader
        key = request.meta.get(SLOT_META_KEY)
        if not isinstance(key, str):
            key = downloader.get_slot_key(request)
        floor = self.floors.get(key, self.default_floor)
        slot = downloader.slots.get(key)
        if slot is not None and slot.delay < floor:
            slot.delay = floor
            self.clamped += 1
            self.crawler.stats.inc_value("pressclips/throttle_clamped")
