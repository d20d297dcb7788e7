"""Crawler-trap caps that depth and the page budget apply too late: query-string variants per path.

Faceted navigation (``?sort=…&filter=…&filter=…``) and endless ``?page=N`` links give one path
unlimited URLs. The outlet's ``max_depth`` and ``max_pages`` bound them eventually, but late: a
listing with 40 facet links fills a 2,000-page budget within two hops, crowding out articles.
``QueryVariantCap`` lets each path have at most ``PRESSCLIPS_MAX_QUERY_VARIANTS`` distinct query
strings among the URLs found by following links. Sitemap and feed URLs are the publisher's own
list of pages and are not capped (older CMSes serve every article as ``/story.php?id=N``).

Calendars (``/calendar/2024/05/17/`` → the next day, forever) change the path, not the query;
they are bounded by ``max_depth`` (link following stops that many hops from the homepage).

Memory: at most ``limit`` query strings per path that had one, bounded by the page budget.
"""

from __future__ import annotations

from archive.urls import canonicalize


class QueryVariantCap:
    """Admit at most ``limit`` distinct query-string variants per path (``limit <= 0``: no cap).
    A variant admitted once is admitted again: a long-running distributed worker reads its
    listings again every crawl cycle, and counting them anew would refuse them from the second."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._admitted: dict[str, set[str]] = {}

    def allow(self, url: str) -> bool:
        base, sep, query = canonicalize(url).partition("?")
        if self.limit <= 0 or not sep or not query:
            return True
        admitted = self._admitted.setdefault(base, set())
        if query in admitted:
            return True
        if len(admitted) >= self.limit:
            return False
        admitted.add(query)
        return True
