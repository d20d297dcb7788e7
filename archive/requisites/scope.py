"""Which requisites of an outlet's pages a crawl fetches.

The rule, per outlet, in order:

1. **Trackers and ads are left out**, whatever their host: a URL whose host is, or is a subdomain
   of, a host listed in ``archive/data/asset_trackers.txt`` (ad servers, tag managers, analytics,
   social widgets), whose path matches one of that file's path patterns (``/pixel``, ``/beacon``,
   ``/collect`` …), or a 1×1 image (a beacon; ``Requisite.beacon``).
2. **Requisites never cross between a local network and the public web** unless the outlet's
   ``asset_hosts`` names the host: an outlet on a loopback, private or link-local address (or
   ``localhost``) gets only local requisites, so a local mirror or test site of real pages never
   reaches the CDNs those pages name; and a public outlet's page cannot make the crawler request a
   loopback or private address (an SSRF through an ``<img src>``). Hosts are classified from the
   URL alone, without a DNS lookup.
3. **The outlet's own hosts are in**: its ``domains``, their subdomains, and with a ``www.``
   domain the bare domain's subdomains too (``www.variety.com`` → ``assets.variety.com``), plus the
   outlet's ``asset_hosts`` allow-list.
4. **A CDN host is learned during the run** (unless the outlet lists its ``asset_hosts``, which then
   is the whole allow-list besides its domains): any other host becomes in scope once it has served
   requisites to ``LEARN_AFTER`` (3) distinct pages of the outlet in this run, and the requisites
   the earlier pages wanted from it are then released (fetched and linked to those pages). A host
   one page alone uses (an embed, a third-party widget) stays out.

Memory is bounded: at most ``MAX_HOSTS`` candidate hosts per outlet are watched, each holding at
most ``MAX_PENDING`` waiting requisites.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Generic, TypeVar
from urllib.parse import urlsplit

from archive.urls import host_of, is_local_domain, is_local_host, netloc_of, same_site

LEARN_AFTER = 3  # distinct pages of an outlet a host must serve requisites to before it is in scope
MAX_HOSTS = 2000  # candidate hosts watched per outlet per run
MAX_PENDING = 200  # requisites held per candidate host until it is learned

PageT = TypeVar("PageT")


@dataclass(frozen=True)
class _TrackerRules:
    hosts: frozenset[str]
    paths: re.Pattern[str] | None


@lru_cache(maxsize=1)
def _tracker_rules() -> _TrackerRules:
    text = resources.files("archive").joinpath("data/asset_trackers.txt").read_text("utf-8")
    hosts: set[str] = set()
    paths: list[str] = []
    for line in text.splitlines():
        kind, _, value = line.split("#", 1)[0].strip().partition(" ")
        if kind == "host":
            hosts.add(value.strip().lower())
        elif kind == "path":
            paths.append(value.strip())
    return _TrackerRules(frozenset(hosts), re.compile("|".join(f"(?:{p})" for p in paths), re.I) if paths else None)


def is_tracker(url: str) -> bool:
    """True for ad, analytics and tracking URLs (rules in ``archive/data/asset_trackers.txt``)."""
    rules = _tracker_rules()
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    labels = host.split(".")
    if any(".".join(labels[i:]) in rules.hosts for i in range(len(labels))):
        return True
    return bool(rules.paths and rules.paths.search(parts.path))


@dataclass(frozen=True)
class Pending(Generic[PageT]):
    """A requisite ``url`` that ``page`` wanted from a host not (yet) in scope."""

    page: PageT
    url: str


@dataclass
class Verdict(Generic[PageT]):
    """What the scope made of one page's requisites."""

    allowed: list[str] = field(default_factory=list)  # in scope: fetch (once per run) and link
    released: list[Pending[PageT]] = field(default_factory=list)  # earlier pages' requisites now in scope
    trackers: int = 0
    offsite: int = 0  # from hosts not in scope (yet)


@dataclass
class _Candidate(Generic[PageT]):
    pages: set[str] = field(default_factory=set)
    pending: list[Pending[PageT]] = field(default_factory=list)


def own_hosts(domains: Iterable[str]) -> tuple[str, ...]:
    """An outlet's domains, plus the bare domain of each ``www.`` one (its asset subdomains)."""
    hosts = list(dict.fromkeys(domains))
    hosts += [d[4:] for d in hosts if d.startswith("www.") and d[4:] not in hosts]
    return tuple(hosts)


class AssetScope(Generic[PageT]):
    """The requisite scope of one outlet for one run (see the module docstring for the rule)."""

    def __init__(self, domains: Sequence[str], asset_hosts: Sequence[str] | None = None, *,
                 learn_after: int = LEARN_AFTER) -> None:
        self.hosts = own_hosts([*domains, *(asset_hosts or ())])
        self.listed = own_hosts(asset_hosts or ())
        self.learns = asset_hosts is None  # an explicit allow-list is the whole list
        self.local = any(is_local_domain(d) for d in domains)
        self.learn_after = learn_after
        self.learned: set[str] = set()
        self._candidates: dict[str, _Candidate[PageT]] = {}

    def in_scope(self, url: str) -> bool:
        return same_site(url, self.hosts) or netloc_of(url) in self.learned

    def crosses_networks(self, url: str) -> bool:
        """True for a requisite on the other side of the local/public line from the outlet."""
        return is_local_host(host_of(url)) != self.local and not same_site(url, self.listed)

    def sort(self, page: PageT, page_key: str, urls: Iterable[tuple[str, bool]]) -> Verdict[PageT]:
        """Sort one page's requisites, given as (url, is_beacon); ``page_key`` tells pages apart."""
        verdict: Verdict[PageT] = Verdict()
        waiting: dict[str, list[str]] = {}
        for url, beacon in urls:
            if beacon or is_tracker(url):
                verdict.trackers += 1
            elif self.crosses_networks(url):
                verdict.offsite += 1
            elif self.in_scope(url):
                verdict.allowed.append(url)
            else:
                waiting.setdefault(netloc_of(url), []).append(url)
        for host, host_urls in waiting.items():
            if not self.learns:
                verdict.offsite += len(host_urls)
                continue
            candidate = self._candidates.get(host)
            if candidate is None:
                if len(self._candidates) >= MAX_HOSTS:
                    verdict.offsite += len(host_urls)
                    continue
                candidate = self._candidates[host] = _Candidate()
            candidate.pages.add(page_key)
            if len(candidate.pages) >= self.learn_after:
                del self._candidates[host]
                self.learned.add(host)
                verdict.allowed.extend(host_urls)
                verdict.released.extend(candidate.pending)
                continue
            room = MAX_PENDING - len(candidate.pending)
            candidate.pending.extend(Pending(page, url) for url in host_urls[:max(room, 0)])
            verdict.offsite += len(host_urls)
        return verdict
