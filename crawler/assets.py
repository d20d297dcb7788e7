"""Page requisites: fetched with each article and listing page, once per run, politely.

For a page fetched with a 200 HTML body (``from_page``), the requisites ``archive.requisites``
finds are sorted by the outlet's ``AssetScope`` (own hosts, ``asset_hosts``, CDN hosts learned
during the run; trackers and ads left out). Those in scope are linked to the page's capture
(``RequisitesItem``) and, the first time this run sees them, claimed in the database and
requested: in the outlet's download slot (its delay, concurrency and AutoThrottle, like its pages),
through robots.txt unless the outlet says ``assets_obey_robots = false``, conditionally when an
earlier run captured them. The WARC middleware archives each response (a 304 or an identical
payload as a revisit record) with capture kind ``asset``; ``parse_asset`` hands it to the store
(``AssetItem``) and reads a stylesheet's ``@import`` and ``url()`` references the same way, as
requisites of the stylesheet's own capture (a 304 stylesheet is read from the capture it
confirms, so its fonts are re-checked too).

Nothing here creates an article, touches the page frontier or spends the outlet's page budget.
Memory stays bounded: the per-run "seen" set holds 8-byte hashes up to ``MAX_SEEN`` URLs; past
that the database claim alone keeps each URL to one request per run.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from typing import Any

import scrapy
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.utils.defer import maybe_deferred_to_future

from archive.db.assets import AssetClaim
from archive.db.kinds import CaptureKind
from archive.outlets import Outlet
from archive.requisites import AssetScope, css_references, find_requisites
from crawler.items import AssetItem, RequisitesItem
from crawler.middlewares.assets import BUDGET_META, PAGE_META, AssetBudget, AssetBudgetExceeded, PageBudget
from crawler.middlewares.slots import slot_name
from crawler.runtime import ArchiveRuntime
from crawler.spiders.documents import conditional_headers, previous_body
from crawler.spiders.responses import header, is_html

logger = logging.getLogger(__name__)

MAX_SEEN = 300_000  # asset URLs remembered in memory per run (~25 MB at most)
ASSET_PRIORITY = 15  # right after discovery, before further pages: a page and its requisites stay close in time
CSS_TYPES = ("text/css",)


@dataclass(frozen=True, eq=False)  # identity: two pages never share a budget
class PageRef:
    """A capture that uses requisites (a page, or a stylesheet) and the budget it spends."""

    record_id: str
    outlet: str
    budget: PageBudget


class RequisiteRobotsFailures(logging.Filter):
    """Scrapy's robots.txt middleware logs a robots.txt it could not download as an ERROR naming the
    request that waited for it. When that request is a requisite (a CDN host whose robots.txt
    timed out or does not resolve), no page or article is at stake: the requisite is counted as
    failed like any other, and the line is a WARNING, so a run's ERROR lines stay the ones that
    need a person."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        request = args.get("request") if isinstance(args, dict) else None
        if record.levelno == logging.ERROR and getattr(request, "meta", {}).get("pc_kind") == CaptureKind.ASSET:
            record.levelno, record.levelname = logging.WARNING, logging.getLevelName(logging.WARNING)
            record.exc_info = record.exc_text = None  # a DNS failure needs no traceback
        return True


_ROBOTS_LOGGER = logging.getLogger("scrapy.downloadermiddlewares.robotstxt")


def quiet_requisite_robots_failures() -> None:
    """Install ``RequisiteRobotsFailures`` once per process (crawls in one process share the logger)."""
    if not any(isinstance(f, RequisiteRobotsFailures) for f in _ROBOTS_LOGGER.filters):
        _ROBOTS_LOGGER.addFilter(RequisiteRobotsFailures())


class AssetFetcher:
    """One per spider: the requisites of every outlet's pages for this run."""

    def __init__(self, crawler: Crawler, runtime: ArchiveRuntime, outlets: list[Outlet]) -> None:
        quiet_requisite_robots_failures()
        self.crawler = crawler
        self.runtime = runtime
        self.outlets = {o.name: o for o in outlets}
        self.scopes: dict[str, AssetScope[PageRef]] = {
            o.name: AssetScope(o.domains, o.asset_hosts) for o in outlets if o.assets}
        config = runtime.config
        self.budget = AssetBudget(page_cap=config.asset_page_bytes, run_cap=config.asset_run_bytes)
        self.seen: set[int] = set()

    def _count(self, name: str, count: int = 1) -> None:
        if count:
            self.crawler.stats.inc_value(f"pressclips/assets/{name}", count)

    # -- pages -----------------------------------------------------------------------------------
    async def from_page(self, response: Response) -> list[Any]:
        """Requests and links for the requisites of a fetched page (nothing when not wanted)."""
        meta = response.meta
        outlet = meta.get("pc_outlet")
        pointer = meta.get("warc_pointer")
        if outlet not in self.scopes or pointer is None or response.status != 200 or not is_html(response):
            return []
        page = PageRef(pointer.record_id, outlet, PageBudget())
        found = find_requisites(response.body, response.url)
        return await self._wanted(page, [(r.url, r.beacon) for r in found])

    async def _wanted(self, page: PageRef, found: list[tuple[str, bool]]) -> list[Any]:
        verdict = self.scopes[page.outlet].sort(page, page.record_id, found)
        self._count("trackers_skipped", verdict.trackers)
        self._count("offsite_skipped", verdict.offsite)
        links: dict[PageRef, list[str]] = {}
        if verdict.allowed:
            links[page] = verdict.allowed
        for pending in verdict.released:  # requisites earlier pages wanted from a host now learned
            links.setdefault(pending.page, []).append(pending.url)
        requests = await self._claimed_requests(links)
        # Linked after the claim: a link points at the asset's row, which the claim creates.
        return [*requests, *(RequisitesItem(ref.record_id, urls) for ref, urls in links.items())]

    async def _claimed_requests(self, links: dict[PageRef, list[str]]) -> list[scrapy.Request]:
        first_page: dict[str, PageRef] = {}
        for ref, urls in links.items():
            for url in urls:
                key = int.from_bytes(hashlib.blake2b(url.encode("utf-8", "surrogatepass"), digest_size=8).digest())
                if key in self.seen or url in first_page:
                    continue
                if len(self.seen) < MAX_SEEN:
                    self.seen.add(key)
                first_page[url] = ref
        if not first_page:
            return []
        if self.budget.run_spent:
            self._count("budget_skipped_run", len(first_page))
            self.budget.refusal(next(iter(first_page.values())).budget)  # logs once
            return []
        outlet = next(iter(first_page.values())).outlet
        claims: list[AssetClaim] = await maybe_deferred_to_future(self.runtime.db(
            self.runtime.store.assets.claim, list(first_page), outlet, self.runtime.run_id))
        return [self._request(claim, first_page[claim.url]) for claim in claims]

    def _request(self, claim: AssetClaim, page: PageRef) -> scrapy.Request:
        outlet = self.outlets[page.outlet]
        headers = conditional_headers(claim.etag, claim.last_modified)
        if claim.previous is not None:
            self._count("rechecks")
        meta: dict[str, Any] = {
            "pc_outlet": outlet.name, "pc_kind": CaptureKind.ASSET, "pc_asset_url": claim.url,
            "pc_previous": claim.previous, "download_slot": slot_name(outlet),
            BUDGET_META: self.budget, PAGE_META: page.budget,
        }
        if not outlet.assets_obey_robots:
            meta["dont_obey_robotstxt"] = True
        return scrapy.Request(claim.url, callback=self.parse_asset, errback=self.asset_failed, meta=meta,
                              headers=headers or None, priority=ASSET_PRIORITY, dont_filter=True)

    # -- requisite responses -------------------------------------------------------------------------
    async def parse_asset(self, response: Response) -> Any:
        meta = response.meta
        pointer = meta.get("warc_pointer")
        revisit_of = meta.get("pc_revisit_of")
        self._count("revisits" if revisit_of is not None else f"status/{response.status}")
        if pointer is None:  # WARC recording off: nothing to remember or link
            return
        yield AssetItem(outlet=meta["pc_outlet"], url=meta.get("pc_asset_url") or response.url,
                        status=response.status, warc_record_id=pointer.record_id,
                        fetched_at=meta["fetched_at"], etag=header(response, "ETag"),
                        last_modified=header(response, "Last-Modified"), revisit_of=revisit_of)
        css = self._stylesheet_text(response)
        if css is not None:
            page = PageRef(pointer.record_id, meta["pc_outlet"], meta[PAGE_META])
            for item in await self._wanted(page, [(url, False) for url in css_references(css, response.url)]):
                yield item

    def _stylesheet_text(self, response: Response) -> str | None:
        ctype = (header(response, "Content-Type") or "").split(";")[0].strip().lower()
        if ctype not in CSS_TYPES and not (not ctype and response.url.lower().endswith(".css")):
            return None
        if response.status == 200:
            body: bytes | None = response.body
        elif response.status == 304 and response.meta.get("pc_previous") is not None:
            body = previous_body(self.runtime.config.archive.warc_dir, response.meta["pc_previous"])
        else:
            body = None
        return body.decode("utf-8", "replace") if body is not None else None

    def asset_failed(self, failure: Any) -> None:
        """A requisite that was not fetched: counted, never a page's fault or a run's failure."""
        if failure.check(AssetBudgetExceeded):
            return  # counted by the budget middleware
        if failure.check(IgnoreRequest):
            self._count("robots_skipped")
            return
        self._count("failed")
        logger.debug("requisite not fetched: %s (%s)", failure.request.url, failure.getErrorMessage())
