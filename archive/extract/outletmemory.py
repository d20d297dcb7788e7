"""What extraction learns about an outlet across its pages: the names it calls itself.

A page without og:site_name (or with a bare host name) still has the outlet's brand in its
``<title>`` suffix and sometimes as its "author". The crawler's main process notes, for every
article it extracts for an outlet, the site name and the people credited, and passes the
outlet's names to the next extractions as ``hints["site_names"]``: ``archive.extract.titles``
cuts them from titles and ``archive.extract.bylines`` demotes them from people to organisations.

Two kinds of names are the outlet's:
  * a site name seen on several pages;
  * a "person" credited on many of the outlet's pages and, on nearly all of them, next to
    someone else who changes from page to page ("Krautreporter" beside each day's writer). A
    columnist or the one writer of a blog is credited alone, so is never taken for the brand.
It is kept in memory for one crawl (it rebuilds within a few pages), bounded per outlet.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

MIN_PAGES = 2  # a name on one page may be that page's; on two it is the outlet's
MAX_NAMES = 3
MAX_DISTINCT = 50  # bound the counters: an outlet that names itself differently on every page
BRAND_MIN_PAGES = 5  # a credit on fewer pages than this may be a busy writer's
BRAND_MIN_SHARE = 0.5  # ... and it must be on at least this share of the outlet's articles
BRAND_CO_CREDITED = 0.8  # ... next to another person on at least this share of its pages
BRAND_MIN_PARTNERS = 3  # ... and those others must vary: a writing duo is two people, not a brand


@dataclass
class _Outlet:
    pages: int = 0
    site_names: Counter[str] = field(default_factory=Counter)
    credited: Counter[str] = field(default_factory=Counter)  # pages crediting the name
    co_credited: Counter[str] = field(default_factory=Counter)  # ... of which next to someone else
    partners: dict[str, set[str]] = field(default_factory=dict)  # the others, bounded
    # Once learned, a brand stays: demoted, it is no longer credited, and its share would fall.
    brands: list[str] = field(default_factory=list)


class OutletMemory:
    def __init__(self) -> None:
        self._outlets: dict[str, _Outlet] = {}

    def note(self, outlet: str, site_name: str | None, people: Sequence[str] = ()) -> None:
        """One article of ``outlet``: its site name and the people it credits."""
        seen = self._outlets.setdefault(outlet, _Outlet())
        seen.pages += 1
        if site_name and site_name.strip():
            _count(seen.site_names, site_name.strip())
        names = list(dict.fromkeys(p.strip() for p in people if p and p.strip()))
        for name in names:
            if not _count(seen.credited, name):
                continue
            others = [n for n in names if n != name]
            if others:
                seen.co_credited[name] += 1
                partners = seen.partners.setdefault(name, set())
                if len(partners) < MAX_DISTINCT:
                    partners.update(others[: MAX_DISTINCT - len(partners)])

    def site_names(self, outlet: str) -> list[str]:
        """The outlet's names: site names seen on several pages, then brands credited as people."""
        seen = self._outlets.get(outlet)
        if seen is None:
            return []
        names = [name for name, count in seen.site_names.most_common(MAX_NAMES) if count >= MIN_PAGES]
        return names + [name for name in self.brand_credits(outlet) if name not in names]

    def brand_credits(self, outlet: str) -> list[str]:
        seen = self._outlets.get(outlet)
        if seen is None:
            return []
        for name, count in seen.credited.most_common(MAX_NAMES):
            if name not in seen.brands and len(seen.brands) < MAX_NAMES \
                    and count >= BRAND_MIN_PAGES and count >= BRAND_MIN_SHARE * seen.pages \
                    and seen.co_credited[name] >= BRAND_CO_CREDITED * count \
                    and len(seen.partners.get(name, ())) >= BRAND_MIN_PARTNERS:
                seen.brands.append(name)
        return list(seen.brands)


def _count(counter: Counter[str], name: str) -> bool:
    """Count ``name`` unless the counter is full of other names; True when counted."""
    if name in counter or len(counter) < MAX_DISTINCT:
        counter[name] += 1
        return True
    return False
