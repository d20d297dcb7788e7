"""Hand pages to extraction (process pool) and then to the store (writer thread).

Neither step runs on the reactor thread, so a slow page never stalls downloads (DESIGN §4).
Outcomes are counted in namespaced stats (``pressclips/articles_new`` …) that the run
extension copies into the ``crawl_runs`` row.
"""

from __future__ import annotations

import logging
from typing import Any

from scrapy.crawler import Crawler
from scrapy.utils.defer import maybe_deferred_to_future

from archive.db.assets import AssetFetch
from archive.db.frontier import LISTING_REASON
from archive.db.kinds import PageOutcome
from archive.db.records import PageResult
from archive.errors import PressclipsError, WarcError
from archive.extract.blockpage import error_page_block_reason
from archive.extract.outletmemory import OutletMemory
from archive.extract.pool import run_extraction
from archive.extract.result import Extraction, provenance_json
from crawler.items import AssetItem, PageItem, RequisitesItem, UrlBatchItem
from crawler.runtime import runtime_of

logger = logging.getLogger(__name__)


def not_article(reason: str) -> Extraction:
    """A page archived as a capture that never becomes article text (HTTP error, listing page)."""
    return Extraction(is_article=False, reason=reason, extractor="")  # no extractor ran


class ArchivePipeline:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.runtime = runtime_of(crawler)
        self.outlet_memory = OutletMemory()  # site names seen per outlet: hints for later pages

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ArchivePipeline:
        return cls(crawler)

    async def process_item(self, item: Any) -> Any:
        if isinstance(item, UrlBatchItem):
            await self._record_batch(item)
            return item
        if isinstance(item, AssetItem):
            fetch = AssetFetch(url=item.url, warc_record_id=item.warc_record_id, status=item.status,
                               fetched_at=item.fetched_at, run_id=self.runtime.run_id, etag=item.etag,
                               last_modified=item.last_modified, revisit_of=item.revisit_of)
            await self._call_store(self.runtime.store.assets.record_fetch, fetch, what=f"requisite {item.url}")
            return item
        if isinstance(item, RequisitesItem):
            await self._call_store(self.runtime.store.assets.link, item.page_record_id, item.urls,
                                   what=f"requisites of {item.page_record_id}")
            return item
        if not isinstance(item, PageItem):
            return item
        stats = self.crawler.stats
        if item.revisit_of is not None:
            extraction = not_article("revisit")  # the same payload as before: nothing to extract
        elif not 200 <= item.status < 300:
            # A 403/503 may be a bot challenge: kept as kind "blocked" so it is tried again later.
            blocked = error_page_block_reason(item.status, item.body, item.content_type)
            extraction = not_article(blocked or f"http-{item.status}")
        elif item.truncated:
            extraction = not_article("truncated")  # never store a partial body as the article
        elif item.discovery.get("kind") == "listing":
            # Homepages and section pages are followed for links, never stored as articles.
            extraction = not_article(LISTING_REASON)
        else:
            hints = dict(item.discovery)
            outlet = next((o for o in self.runtime.outlets if o.name == item.outlet), None)
            if outlet is not None and outlet.timezone:
                hints["timezone"] = outlet.timezone  # the local publication day (archive.extract.dates)
            hints["site_names"] = self.outlet_memory.site_names(item.outlet)
            extraction = await maybe_deferred_to_future(self.runtime.extract(
                run_extraction, item.body, item.final_url, item.content_type, hints))
            if extraction.is_article:
                self.outlet_memory.note(item.outlet, extraction.site_name, extraction.authors)
            if extraction.is_article and item.warc_pointer is not None:
                self._write_provenance(item, extraction)
        item.body = b""  # the WARC holds it; keep memory flat while the store call is queued
        page = PageResult(
            outlet=item.outlet, warc_record_id=item.warc_record_id, requested_url=item.requested_url,
            final_url=item.final_url, fetched_at=item.fetched_at, status=item.status, extraction=extraction,
            redirect_urls=item.redirect_urls, etag=item.etag, last_modified=item.last_modified,
            discovered_via=item.discovered_via, discovery=item.discovery, recrawl=item.recrawl,
            revisit_of=item.revisit_of,
        )
        outcome = await self._call_store(self.runtime.store.record_page, page, what=item.final_url)
        if outcome is not None:
            stats.inc_value(f"pressclips/{outcome.replace('-', '_')}")
            if outcome == PageOutcome.NOT_ARTICLE:
                stats.inc_value(f"pressclips/not_article/{(extraction.reason or 'unknown').split(':')[0]}")
            logger.debug("%s: %s (%s)", outcome, item.final_url, extraction.reason or extraction.title)
        return item

    async def _record_batch(self, item: UrlBatchItem) -> None:
        """URLs first, then the documents that listed them: a document is marked read only once
        what it listed is on the frontier. Both calls run on the one writer thread in the order
        the spider yielded its batches, so a document's earlier batches are committed too."""
        if item.sightings:
            stored = await self._call_store(self.runtime.store.record_urls, item.outlet, item.sightings,
                                            what=f"{len(item.sightings)} URLs of {item.outlet}")
            if stored is None:  # not stored: leave the document unread, so the next run reads it again
                return
        if item.documents:
            await self._call_store(self.runtime.store.frontier.record_documents, item.outlet, item.documents,
                                   what=f"sitemap/feed state of {item.documents[0].url}")

    def _write_provenance(self, item: PageItem, extraction: Extraction) -> None:
        """A WARC metadata record with the extraction, referring to the response record, so the
        WARC files alone still carry what was extracted from them."""
        assert item.warc_pointer is not None
        try:
            # Not the page's own URL: replay tools index metadata records too, and one with the
            # page's URL and second would shadow the page (pywb served the JSON). Same scheme as
            # Browsertrix's urn:pageinfo: records; WARC-Refers-To names the response record.
            self.runtime.warc.write_metadata(target_uri=f"urn:pressclips:extraction:{item.final_url}",
                                             refers_to=item.warc_pointer,
                                             payload=provenance_json(extraction))
        except WarcError as exc:
            self.runtime.note_failure(f"WARC metadata record for {item.final_url} not written: {exc}")
            return
        self.crawler.stats.inc_value("warc/metadata_records")

    async def _call_store(self, fn: Any, *args: Any, what: str) -> Any:
        try:
            return await maybe_deferred_to_future(self.runtime.db(fn, *args))
        except PressclipsError as exc:
            # Never log-and-continue silently: the failure is counted and fails the run.
            self.crawler.stats.inc_value("pressclips/store_errors")
            self.runtime.note_failure(f"archive write failed for {what}: {exc}")
            return None
