"""Redis key names of one archive's distributed crawl.

The prefix is derived from the archive's database URL (password left out), so workers of one
archive meet under the same keys wherever they run, and two archives (or two test databases)
sharing one Redis never see each other's queue.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from sqlalchemy.engine import make_url

from archive.errors import ConfigError


@dataclass(frozen=True)
class ClusterKeys:
    prefix: str

    @classmethod
    def for_database(cls, database_url: str) -> ClusterKeys:
        try:
            shown = make_url(database_url).render_as_string(hide_password=True)
        except Exception:  # noqa: BLE001 - sqlalchemy raises several types for a malformed URL
            raise ConfigError(f"not a database URL: {database_url!r}") from None
        return cls(f"pressclips:{hashlib.sha256(shown.encode()).hexdigest()[:16]}")

    @property
    def requests(self) -> str:
        """scrapy-redis's request queue (a sorted set: its PriorityQueue)."""
        return f"{self.prefix}:requests"

    @property
    def dupefilter(self) -> str:
        """scrapy-redis's request fingerprints of the current cycle (listings, sitemaps, feeds)."""
        return f"{self.prefix}:dupefilter"

    @property
    def seed_lease(self) -> str:
        return f"{self.prefix}:seed:lease"

    @property
    def seed_cycle(self) -> str:
        """Set (with an expiry of one seeding interval) by the worker that seeded the cycle."""
        return f"{self.prefix}:seed:cycle"

    def worker(self, name: str) -> str:
        return f"{self.prefix}:worker:{name}"

    def politeness(self, slot: str) -> tuple[str, str]:
        """An outlet's requests in flight (sorted set of leases) and its next allowed start."""
        return f"{self.prefix}:polite:{slot}:inflight", f"{self.prefix}:polite:{slot}:next"
