"""The generic press spider: one spider for every outlet, driven by the outlets file.

Discovery per outlet: robots.txt ``Sitemap:`` lines → sitemap indexes, (gzipped) sitemaps and
Google News sitemaps; RSS/Atom feeds announced on the homepage or listed in the outlets file;
link following from the homepage and section pages, classifying links as article or listing.
Discovery metadata (news:publication_date, feed pubDate, lastmod, titles) travels in
``request.meta["pc_discovery"]`` and reaches the stored article as extraction evidence.

Article candidates are never requested straight from discovery: they are recorded on the
database frontier (``archive.db.frontier``) and fetched when ``crawler.feeder`` claims them, so a
run fetches only what is new or due, asks conditionally for what it has seen, and a killed run
leaves nothing behind but due rows. Sitemaps and feeds are re-read every run, conditionally, and
a sitemap index child whose ``lastmod`` has not moved since the last read is skipped. A document
is remembered as read only after what it listed is stored, an index only after its children
(``crawler.spiders.documents``), so a killed run loses no URL.

Listings, sitemaps and feeds fetched before are asked for with their validators and last good
capture (``pc_previous``): a 304 or byte-identical body becomes a WARC revisit, and a 304 listing
is followed from the capture it confirms. Listing links bring their teaser's date
(``discovery["updated"]``); an AMP or print copy beside its article is left out. Crawling is
bounded per outlet: listings to ``max_depth``, at most ``max_pages`` pages per run.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Iterator
from datetime import datetime, timezone
from functools import partial
from typing import Any
from urllib.parse import urlsplit

import scrapy
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.utils.defer import maybe_deferred_to_future

from archive.db.frontier import DocumentRead
from archive.db.kinds import CaptureKind
from archive.db.records import DueUrl, UrlSighting, Window
from archive.times import iso, parse_aware
from archive.urls import canonicalize, strip_tracking
from crawler.assets import AssetFetcher
from crawler.cluster import apply_cluster_settings, cluster_of
from crawler.config import CrawlConfig
from crawler.discovery import parse_feed, parse_robots_sitemaps, parse_sitemap
from crawler.faults import classify_failure, record_fault
from crawler.feeder import FrontierFeeder, until_engine_stops
from crawler.items import UrlBatchItem
from crawler.links import classify_url, extract_link_cards, find_feed_links, is_amp_url, without_copies
from crawler.middlewares.slots import slot_name
from crawler.runtime import ArchiveRuntime, runtime_of
from crawler.safexml import DiscoveryParseError
from crawler.spiders.documents import conditional_headers, previous_body
from crawler.spiders.outlet_state import PRIORITY, OutletState, outlet_slot_settings
from crawler.spiders.responses import header as _header
from crawler.spiders.responses import is_html, page_item
from crawler.traps import QueryVariantCap

SIGHTINGS_PER_BATCH = 500
_when = partial(parse_aware, assume_utc=True)  # discovery dates without an offset are UTC


class PressSpider(scrapy.Spider):
    name = "press"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.runtime: ArchiveRuntime
        self.states: dict[str, OutletState] = {}
        self.window = Window()
        self.feeder: FrontierFeeder
        self.robots_from_middleware = True
        self.assets: AssetFetcher

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> PressSpider:
        # The spider is built before the extensions: it reads the settings itself, and reaches
        # the archive runtime (opened on spider_opened) when start() runs, after spider_opened.
        spider = super().from_crawler(crawler, *args, **kwargs)
        config = CrawlConfig.from_settings(crawler.settings)
        only = {n.strip().lower() for n in str(kwargs.get("outlet", "")).split(",") if n.strip()}
        spider.states = {o.name: OutletState(o, query_cap=QueryVariantCap(config.max_query_variants))
                         for o in config.outlets if not only or o.name.lower() in only}
        spider.window = Window(config.since, config.until)
        # With ROBOTSTXT_OBEY, Scrapy's RobotsTxtMiddleware fetches each host's robots.txt anyway:
        # read its Sitemap lines from that response instead of fetching robots.txt a second time.
        spider.robots_from_middleware = config.robots_obey
        if spider.robots_from_middleware:
            crawler.signals.connect(spider.robots_seen, signal=signals.response_received)
        return spider

    @classmethod
    def update_settings(cls, settings: Any) -> None:
        super().update_settings(settings)
        if settings.get("PRESSCLIPS_OUTLETS"):
            # The first moment Scrapy shows us the settings, under every entry point (plain
            # `scrapy crawl` included): validate them all before using any.
            config = CrawlConfig.from_settings(settings)
            slots = dict(settings.getdict("DOWNLOAD_SLOTS"))
            for outlet in config.outlets:
                slots.setdefault(slot_name(outlet), outlet_slot_settings(outlet, settings))
            settings.set("DOWNLOAD_SLOTS", slots, priority="spider")
            apply_cluster_settings(settings, config)  # a distributed worker only
        contact = settings.get("PRESSCLIPS_CONTACT")
        if contact and settings.getpriority("USER_AGENT") < settings.getpriority("PRESSCLIPS_CONTACT"):
            from archive import __version__

            settings.set("USER_AGENT", f"pressclips/{__version__} (press archive crawler; +{contact})",
                         priority=settings.getpriority("PRESSCLIPS_CONTACT"))

    # -- request helpers -----------------------------------------------------------------------
    def _request(self, url: str, state: OutletState, kind: CaptureKind, callback: Any, *, depth: int = 0,
                 via: str | None = None, discovery: dict[str, Any] | None = None,
                 headers: dict[str, str] | None = None, extra_meta: dict[str, Any] | None = None) -> scrapy.Request:
        outlet = state.outlet
        meta: dict[str, Any] = {
            "pc_outlet": outlet.name, "pc_kind": kind, "pc_depth": depth, "pc_via": via,
            "pc_discovery": discovery or {},
            # One download slot per outlet: its politeness (DOWNLOAD_SLOTS, see update_settings)
            # covers all its hosts, and outlets sharing an IP (tests: ports on 127.0.0.1) are
            # not throttled as one.
            "download_slot": slot_name(outlet),
            **(extra_meta or {})}
        # Deduplication is ours (frontier claims, the listing and discovery sets, and across distributed
        # workers scrapy-redis's dupefilter of the cycle), not a fingerprint set growing with the crawl.
        shared = self.runtime.worker is not None and kind != CaptureKind.PAGE
        return scrapy.Request(url, callback=callback, errback=self.on_error, meta=meta, headers=headers,
                              priority=PRIORITY.get(kind, 0), dont_filter=not shared)

    def _discovery_request(self, url: str, state: OutletState, kind: CaptureKind, callback: Any,
                           lastmod: datetime | None = None, parent: str | None = None) -> scrapy.Request | None:
        """Sitemaps and feeds: once per run, conditionally when we have validators, and not at all
        when a sitemap index says the child has not changed since we last read it in full.
        ``parent`` is the sitemap index that listed it (remembered only after its children)."""
        key = canonicalize(url)
        if key in state.discovery_seen or state.budget_exhausted:
            return None  # seen, or no page budget left for what it would list
        state.discovery_seen.add(key)
        known = state.documents.get(url)
        if known and lastmod and known.lastmod and lastmod <= known.lastmod \
                and not (known.windowed and not self.window.active):
            self.crawler.stats.inc_value("pressclips/sitemaps_unchanged")
            return None
        headers = {}
        if known and not (known.windowed and not self.window.active):
            headers = conditional_headers(known.etag, known.last_modified)
        captured = state.known.get(key)
        # The last good capture: a 304 or a byte-identical body becomes a revisit record of it.
        return self._request(url, state, kind, callback, headers=headers or None,
                             extra_meta={"pc_lastmod": lastmod.isoformat() if lastmod else None,
                                         "pc_document": url, "pc_parent": parent,
                                         "pc_previous": captured.previous if captured else None})

    def _document_read(self, response: Response) -> DocumentRead:
        return DocumentRead(response.meta.get("pc_document") or response.url, response.status,
                            _header(response, "ETag"), _header(response, "Last-Modified"),
                            _when(response.meta.get("pc_lastmod")), self.window.active,
                            response.meta.get("fetched_at") or datetime.now(timezone.utc))

    def _document_done(self, meta: dict[str, Any], read: DocumentRead | None) -> list[DocumentRead]:
        """A sitemap or feed is read (``read``) or failed (None): what to remember now, in order."""
        state = self.states[meta["pc_outlet"]]
        return state.indexes.finished(meta.get("pc_document") or "", meta.get("pc_parent"), read)

    def _document_failed(self, response: Response) -> Iterator[UrlBatchItem]:
        documents = self._document_done(response.meta, None)
        if documents:  # the index it completes: nothing of this document to wait for
            yield UrlBatchItem(response.meta["pc_outlet"], [], documents)

    def _listing_request(self, url: str, state: OutletState, *, depth: int, via: str) -> scrapy.Request | None:
        """Schedule a listing page once per canonical URL, within the outlet's allow rules and budget."""
        outlet = state.outlet
        if not outlet.allows(url):
            self.crawler.stats.inc_value("pressclips/offsite_or_denied")
            return None
        key = canonicalize(url)
        if key in state.listings:
            return None
        if via == "link" and not state.query_cap.allow(url):  # faceted/paginated trap (crawler.traps)
            self.crawler.stats.inc_value("pressclips/trap_dropped")
            return None
        if not self._spend(state):
            return None
        state.listings.add(key)
        known = state.known.get(key)
        if known is None:
            return self._request(strip_tracking(url), state, CaptureKind.LISTING, self.parse_listing, depth=depth,
                                 via=via)
        # Asked for conditionally; a 304 or an identical body becomes a revisit of the last capture.
        self.crawler.stats.inc_value("pressclips/listing_rechecks")
        return self._request(strip_tracking(url), state, CaptureKind.LISTING, self.parse_listing, depth=depth,
                             via=via, headers=conditional_headers(known.etag, known.last_modified) or None,
                             extra_meta={"pc_previous": known.previous})

    def _spend(self, state: OutletState) -> bool:
        if state.remaining() <= 0:
            if not state.budget_exhausted:
                state.budget_exhausted = True
                self.logger.info("outlet %s: page budget of %d reached", state.outlet.name, state.outlet.max_pages)
            self.crawler.stats.inc_value(f"pressclips/budget_dropped/{state.outlet.name}")
            return False
        state.fetched += 1
        return True

    def _due_request(self, outlet: str, due: DueUrl) -> scrapy.Request | None:
        """A URL claimed from the frontier: conditional when we hold a good earlier capture."""
        state = self.states[outlet]
        if not state.outlet.allows(due.url) or not self._spend(state):
            self.feeder.frontier_call(self.feeder.frontier.fetch_failed, due.url, None, True)
            return None
        headers = conditional_headers(due.etag, due.last_modified)
        if due.previous is not None:
            self.crawler.stats.inc_value("pressclips/recrawls")
        return self._request(strip_tracking(due.url), state, CaptureKind.PAGE, self.parse_page,
                             via=due.via or "frontier",
                             discovery=due.discovery, headers=headers or None,
                             extra_meta={"pc_previous": due.previous, "pc_frontier_url": due.url})

    # -- start ---------------------------------------------------------------------------------
    async def start(self) -> AsyncIterator[Any]:
        async for request in until_engine_stops(self._start(), self.crawler):
            yield request

    async def _start(self) -> AsyncIterator[Any]:
        self.runtime = runtime_of(self.crawler)
        self.feeder = FrontierFeeder(self.crawler, {name: st.remaining for name, st in self.states.items()},
                                     self._due_request)
        frontier = self.feeder.frontier
        self.assets = AssetFetcher(self.crawler, self.runtime, [state.outlet for state in self.states.values()])
        for state in self.states.values():
            state.documents = await maybe_deferred_to_future(
                self.runtime.db(frontier.document_states, state.outlet.name))
            state.known = await maybe_deferred_to_future(
                self.runtime.db(frontier.revisitable_pages, state.outlet.name))
        member = cluster_of(self.crawler)  # a distributed worker seeds under a lease, in shared_requests
        for request in self._start_requests() if member is None else ():
            yield request
        async for request in (self.feeder.requests() if member is None else
                              self.feeder.shared_requests(member, self._start_requests, self.states.values())):
            yield request

    def _start_requests(self) -> Iterator[scrapy.Request]:
        for state in self.states.values():
            o = state.outlet
            if o.discover and not self.robots_from_middleware:
                robots = f"{urlsplit(o.homepage).scheme}://{urlsplit(o.homepage).netloc}/robots.txt"
                yield self._request(robots, state, CaptureKind.ROBOTS, self.parse_robots)
            for url in (*o.sitemaps, *o.news_sitemaps, *state.robots_sitemaps):
                req = self._discovery_request(url, state, CaptureKind.SITEMAP, self.parse_sitemap)
                if req:
                    yield req
            for url in o.feeds:
                req = self._discovery_request(url, state, CaptureKind.FEED, self.parse_feed)
                if req:
                    yield req
            for url in (o.homepage, *o.start_urls):
                req = self._listing_request(url, state, depth=0, via="start")
                if req:
                    yield req

    # -- callbacks -----------------------------------------------------------------------------
    def _state(self, response: Response) -> OutletState:
        return self.states[response.meta["pc_outlet"]]

    def parse_robots(self, response: Response) -> Iterator[Any]:
        if response.status == 200:
            yield from self._robots_sitemaps(self._state(response), response)

    def robots_seen(self, response: Response, request: scrapy.Request, spider: scrapy.Spider) -> None:
        """``response_received`` handler: robots.txt fetched by RobotsTxtMiddleware."""
        if request.meta.get("pc_kind") or urlsplit(request.url).path != "/robots.txt" or response.status != 200:
            return
        outlet = self.runtime.outlet_for_url(request.url)
        state = self.states.get(outlet.name) if outlet else None
        if state is None or not state.outlet.discover:
            return
        for req in self._robots_sitemaps(state, response):
            self.crawler.engine.crawl(req)

    def _robots_sitemaps(self, state: OutletState, response: Response) -> Iterator[scrapy.Request]:
        state.robots_sitemaps = list(parse_robots_sitemaps(response.body, response.url))
        for url in state.robots_sitemaps:
            req = self._discovery_request(url, state, CaptureKind.SITEMAP, self.parse_sitemap)
            if req:
                yield req

    def parse_sitemap(self, response: Response) -> Iterator[Any]:
        state = self._state(response)
        if response.status == 304:  # what it lists is on the frontier already
            yield UrlBatchItem(state.outlet.name, [], self._document_done(response.meta, self._document_read(response)))
            return
        if response.status != 200:
            yield from self._document_failed(response)
            return
        try:
            sitemap = parse_sitemap(response.body, base_url=response.url)
        except DiscoveryParseError as exc:
            self.logger.warning("not a sitemap: %s (%s)", response.url, exc)
            self.crawler.stats.inc_value("pressclips/bad_sitemaps")
            yield from self._document_failed(response)
            return
        read = self._document_read(response)
        if sitemap.kind == "index":
            children = [req for entry in sitemap.entries
                        if (req := self._discovery_request(entry.loc, state, CaptureKind.SITEMAP, self.parse_sitemap,
                                                           entry.lastmod, parent=read.url))]
            # Registered before any child is scheduled: a child may come back before we resume.
            documents = state.indexes.index_read(read, response.meta.get("pc_parent"),
                                                 {req.meta["pc_document"] for req in children},
                                                 complete=not state.budget_exhausted)
            if documents:
                yield UrlBatchItem(state.outlet.name, [], documents)
            yield from children
            return
        sightings: list[UrlSighting] = []
        for entry in sitemap.entries:
            news = entry.news_publication_date is not None or entry.news_title is not None
            via = "news-sitemap" if news else "sitemap"
            discovery = {k: v for k, v in {
                "source": via, "title": entry.news_title, "published": iso(entry.news_publication_date),
                "lastmod": iso(entry.lastmod), "sitemap": response.url}.items() if v}
            self._sight(state, sightings, UrlSighting(entry.loc, via, discovery),
                        entry.news_publication_date or entry.lastmod)
        yield from self._sightings(state, sightings, self._document_done(response.meta, read))

    def parse_feed(self, response: Response) -> Iterator[Any]:
        state = self._state(response)
        if response.status == 304:
            yield UrlBatchItem(state.outlet.name, [], self._document_done(response.meta, self._document_read(response)))
            return
        if response.status != 200:
            yield from self._document_failed(response)
            return
        try:
            entries = parse_feed(response.body, response.url)
        except DiscoveryParseError as exc:
            self.logger.warning("not a feed: %s (%s)", response.url, exc)
            self.crawler.stats.inc_value("pressclips/bad_feeds")
            yield from self._document_failed(response)
            return
        read = self._document_read(response)
        sightings: list[UrlSighting] = []
        for entry in entries:
            discovery = {k: v for k, v in {
                "source": "feed", "title": entry.title, "published": iso(entry.published),
                "updated": iso(entry.updated), "authors": entry.authors or None, "feed": response.url}.items() if v}
            self._sight(state, sightings, UrlSighting(entry.url, "feed", discovery), entry.published or entry.updated)
        yield from self._sightings(state, sightings, self._document_done(response.meta, read))

    def _sight(self, state: OutletState, sightings: list[UrlSighting], sighting: UrlSighting,
               dated: datetime | None) -> None:
        """Keep an entry for the frontier if the outlet allows it and it is in the --published-* window."""
        if not state.outlet.allows(sighting.url):
            self.crawler.stats.inc_value("pressclips/offsite_or_denied")
        elif not self.window.admits(dated):
            self.crawler.stats.inc_value("pressclips/outside_window")
        else:
            sightings.append(sighting)

    def parse_listing(self, response: Response) -> Iterator[Any]:
        """Homepage and section pages: archived, followed for links, never articles."""
        state = self._state(response)
        yield page_item(response, self.states[response.meta["pc_outlet"]].outlet)
        body = self._listing_body(response)
        if body is None:
            return
        if response.meta.get("pc_via") == "start" and state.outlet.discover:
            for url in find_feed_links(body, response.url):
                req = self._discovery_request(url, state, CaptureKind.FEED, self.parse_feed)
                if req:
                    yield req
        yield from self._follow_links(response, body, state)

    def _listing_body(self, response: Response) -> bytes | None:
        """The HTML to follow links from: the body, or for a 304 the body of the capture it confirms
        (unchanged links still lead to section and pagination pages that may have changed)."""
        previous = response.meta.get("pc_previous")
        if response.status == 304 and previous is not None:
            # Read inline: one listing page from local disk, as small as the pages we parse anyway.
            body = previous_body(self.runtime.config.archive.warc_dir, previous)
            if body is None:
                self.logger.warning("capture %d of %s unreadable: its links are not followed this run",
                                    previous.capture_id, response.url)
            return body
        if response.status != 200 or not is_html(response):
            return None
        return response.body

    async def parse_page(self, response: Response) -> AsyncIterator[Any]:
        """Article candidates: extracted and stored, their requisites fetched (``crawler.assets``).
        Their links are not followed: discovery comes from sitemaps, feeds, the homepage and
        section pages, which keeps the crawl bounded and avoids fetching every related-story and
        navigation link of every article."""
        yield page_item(response, self.states[response.meta["pc_outlet"]].outlet)
        for request_or_link in await self.assets.from_page(response):
            yield request_or_link

    def on_error(self, failure: Any) -> None:
        request = failure.request
        frontier_url = request.meta.get("pc_frontier_url")
        if request.meta.get("pc_document"):
            documents = self._document_done(request.meta, None)
            if documents:  # the sitemap index this failed child completes
                self.feeder.frontier_call(self.feeder.frontier.record_documents, request.meta["pc_outlet"], documents)
        fault = classify_failure(failure)
        # Back off, or give up on a URL robots.txt forbids, that loops, or that is over the size limit.
        give_up = bool(failure.check(IgnoreRequest)) or (fault is not None and fault.reason == "too-large")
        if frontier_url:
            self.feeder.frontier_call(self.feeder.frontier.fetch_failed, frontier_url, None, give_up)
        if fault is None:  # robots.txt said no: expected, not an error
            self.logger.debug("not fetched: %s (%s)", request.url, failure.getErrorMessage())
            return
        self.logger.warning("fetch failed: %s (%s: %s)", request.url, fault.reason, fault.detail)
        record_fault(self.crawler, self.runtime, request, fault)

    # -- helpers -------------------------------------------------------------------------------
    def _follow_links(self, response: Response, body: bytes, state: OutletState) -> Iterator[Any]:
        depth = int(response.meta.get("pc_depth", 0)) + 1
        if depth > state.outlet.max_depth:
            return
        sightings: list[UrlSighting] = []
        links = [link for link in extract_link_cards(body, response.url) if state.outlet.allows(link.url)]
        # An AMP or print copy linked next to its article is the same story: sight the article only.
        wanted = set(without_copies([link.url for link in links]))
        for link in links:
            if link.url not in wanted:
                self.crawler.stats.inc_value("pressclips/copies_not_followed")
                continue
            url = link.url
            kind = "article" if is_amp_url(url) else classify_url(url)
            if kind == "article":
                discovery = {"source": "link", "referrer": response.url}
                if link.updated:  # the teaser's date: a newer one announces an edit to the frontier
                    discovery["updated"] = link.updated
                sightings.append(UrlSighting(url, "link", discovery))
            elif kind == "listing" and (req := self._listing_request(url, state, depth=depth, via="link")):
                yield req
        yield from self._sightings(state, sightings)

    def _sightings(self, state: OutletState, sightings: list[UrlSighting],
                   documents: list[DocumentRead] | None = None) -> Iterable[Any]:
        """Bounded batches: a 50,000-URL sitemap becomes many short transactions, not one huge
        one. ``documents`` ride on the last batch (alone when nothing was listed): they are
        remembered as read only after every URL they listed is stored."""
        batches = [sightings[start:start + SIGHTINGS_PER_BATCH]
                   for start in range(0, len(sightings), SIGHTINGS_PER_BATCH)] or ([[]] if documents else [])
        for i, batch in enumerate(batches):
            yield UrlBatchItem(state.outlet.name, batch, list(documents or []) if i == len(batches) - 1 else [])
