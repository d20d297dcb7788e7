"""What extraction learns about an outlet across its pages: the names it calls itself.

A page without og:site_name (or with a bare host name) still has the outlet's brand in its
``<title>`` suffix and sometimes as its "author". The crawler's main process notes the site name
of every article it extracts for an outlet and passes the names seen on several pages to the
next extractions as ``hints["site_names"]``: ``archive.extract.titles`` cuts them from titles and
``archive.extract.bylines`` demotes them from people to organisations. It is kept in memory for
one crawl (it rebuilds within a few pages), bounded per outlet.
"""

from __future__ import annotations

from collections import Counter

MIN_PAGES = 2  # a name on one page may be that page's; on two it is the outlet's
MAX_NAMES = 3
MAX_DISTINCT = 50  # bound the counter: an outlet that names itself differently on every page


class OutletMemory:
    def __init__(self) -> None:
        self._names: dict[str, Counter[str]] = {}

    def note(self, outlet: str, site_name: str | None) -> None:
        if not site_name or not site_name.strip():
            return
        counts = self._names.setdefault(outlet, Counter())
        if site_name in counts or len(counts) < MAX_DISTINCT:
            counts[site_name.strip()] += 1

    def site_names(self, outlet: str) -> list[str]:
        counts = self._names.get(outlet, Counter())
        return [name for name, seen in counts.most_common(MAX_NAMES) if seen >= MIN_PAGES]
