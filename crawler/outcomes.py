"""Per-outlet outcomes of a run's requests, and when they make the whole run a failure.

Every request that reached its end (after retries and redirects) is counted once, per outlet,
in the crawl's stats:

- ``pressclips/outlet/<name>/requests``: requests that ended, whatever the ending;
- ``pressclips/outlet/<name>/pages``: of those, responses other than 5xx (304s and 404s are
  answers: the server is there and said something about the URL);
- ``pressclips/outlet/<name>/failed/<cause>``: the rest, by cause ("connection refused by
  127.0.0.1:9", "HTTP 503 from example.org"), so a run of 200 identical failures is one line.

Requests refused before they left (robots.txt, offsite) are not counted: nothing was asked.
The stats are plain Scrapy stats, so the run row keeps them and the verdict can be re-derived
from a stats dict alone (``outlet_outcomes``, ``mostly_failed``). Nothing here imports Scrapy.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

PREFIX = "pressclips/outlet/"
UNKNOWN_OUTLET = "unknown"  # a request no outlet claims (cannot happen with the press spider's requests)

# A run is failed when more than half of its requests ended in a network error or a 5xx after
# retries. Half, because below it the crawl still archived most of what it asked for and the
# frontier retries the rest next run (a flaky outlet among many must not page cron every time),
# while above it the run archived little and the cause is almost always shared (no network, DNS
# down, a proxy or the outlets' CDN failing): the person running it must hear about it. A run
# that fetched nothing because everything failed is the 100 % case of the same rule.
FAILED_SHARE = 0.5


class StatsSink(Protocol):
    def inc_value(self, key: str, count: int = 1, start: int = 0) -> None: ...


def count_answer(stats: StatsSink, outlet: str | None, status: int, netloc: str) -> None:
    """A response that ended its request: a page, or a failure when the server erred (5xx)."""
    name = outlet or UNKNOWN_OUTLET
    stats.inc_value(f"{PREFIX}{name}/requests")
    if status >= 500:
        stats.inc_value(f"{PREFIX}{name}/failed/HTTP {status} from {netloc}")
    else:
        stats.inc_value(f"{PREFIX}{name}/pages")


def count_failure(stats: StatsSink, outlet: str | None, cause: str) -> None:
    """A request that ended without a response (or with one refused): one more of ``cause``."""
    name = outlet or UNKNOWN_OUTLET
    stats.inc_value(f"{PREFIX}{name}/requests")
    stats.inc_value(f"{PREFIX}{name}/failed/{cause}")


@dataclass(frozen=True)
class OutletOutcome:
    outlet: str
    requests: int
    pages: int
    causes: tuple[tuple[str, int], ...]  # (cause, requests), most frequent first

    @property
    def failed(self) -> int:
        return sum(n for _cause, n in self.causes)

    def lines(self) -> list[str]:
        """One line per cause: ``outlet local: 12 requests, 0 pages, 12 failed: connection refused by …``."""
        head = f"outlet {self.outlet}: {self.requests} requests, {self.pages} pages"
        return [f"{head}, {n} failed: {cause}" for cause, n in self.causes]


def outlet_outcomes(stats: Mapping[str, Any]) -> list[OutletOutcome]:
    """The per-outlet counts recorded in ``stats``, by outlet name."""
    requests: dict[str, int] = {}
    pages: dict[str, int] = {}
    causes: dict[str, dict[str, int]] = {}
    for key, value in stats.items():
        if not key.startswith(PREFIX) or not isinstance(value, int):
            continue
        name, _, rest = key[len(PREFIX):].partition("/")
        if rest == "requests":
            requests[name] = value
        elif rest == "pages":
            pages[name] = value
        elif rest.startswith("failed/"):
            causes.setdefault(name, {})[rest[len("failed/"):]] = value
    return [OutletOutcome(name, requests[name], pages.get(name, 0),
                          tuple(sorted(causes.get(name, {}).items(), key=lambda item: (-item[1], item[0]))))
            for name in sorted(requests)]


def mostly_failed(outcomes: list[OutletOutcome]) -> bool:
    """Whether more than ``FAILED_SHARE`` of the run's requests failed (see there for why)."""
    total = sum(o.requests for o in outcomes)
    return total > 0 and sum(o.failed for o in outcomes) > FAILED_SHARE * total


def cause_lines(outcomes: list[OutletOutcome]) -> list[str]:
    return [line for outcome in outcomes for line in outcome.lines()]
