"""AutoThrottle that respects each outlet's own minimum delay.

Scrapy's AutoThrottle clamps delays to the global ``DOWNLOAD_DELAY`` only, so it would undercut
an outlet that asked for more (``[outlets.politeness] download_delay``). The spider puts each
outlet's requests in one download slot, configured through ``DOWNLOAD_SLOTS``; this keeps the
slot's delay at or above that slot's configured delay.
"""

from __future__ import annotations

from scrapy.core.downloader import Slot
from scrapy.extensions.throttle import AutoThrottle
from scrapy.http import Response


class OutletAutoThrottle(AutoThrottle):
    def _adjust_delay(self, slot: Slot, latency: float, response: Response) -> None:
        super()._adjust_delay(slot, latency, response)
        key = response.meta.get("download_slot")
        downloader = self.crawler.engine.downloader if self.crawler.engine else None
        configured = downloader.per_slot_settings.get(key, {}).get("delay") if downloader and key else None
        if configured is not None and slot.delay < configured:
            slot.delay = configured
