"""One ``crawl_runs`` row per run: opened when the spider opens, completed when it closes.

The run's status is decided from its stats, not from Scrapy's exit code (``scrapy crawl`` exits
0 even after errors; DESIGN §4): spider exceptions, archive write failures, a WARC failure, a
finish reason other than ``finished``, or most of its requests failing (``crawler.outcomes``:
no network, DNS down, every server answering 503) make it ``failed``.

The recorder counts each response that ends a request for its outlet (Scrapy's
``response_received`` fires once per request, after retries and redirects); failures are
counted where they are classified (``crawler.faults.record_fault``). At the end, one line per
outlet and cause goes to the log (INFO: the log file) and into the run row's stats
(``causes``), which ``pressclips runs --json`` shows.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.http import Response
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.task import LoopingCall

from archive.db.kinds import CaptureKind, RunStatus
from archive.memory import release_free_memory
from archive.urls import netloc_of
from crawler.outcomes import cause_lines, count_answer, mostly_failed, outlet_outcomes
from crawler.runtime import ArchiveRuntime, runtime_of

logger = logging.getLogger(__name__)


def run_counts(stats: dict[str, Any]) -> dict[str, int]:
    """The summary figures of a run, from Scrapy stats."""
    # Requests refused by robots.txt or the offsite filter are politeness, not errors.
    fetch_errors = sum(v for k, v in stats.items() if k.startswith("downloader/exception_type_count/")
                       and not k.endswith("IgnoreRequest"))
    return {
        # Page requisites are counted apart (pressclips/assets/*): "pages" stay pages.
        "pages_fetched": int(stats.get("downloader/response_count", 0))
        - int(stats.get("pressclips/assets/responses", 0)),
        "articles_new": int(stats.get("pressclips/new", 0)),
        "articles_updated": int(stats.get("pressclips/updated", 0)),
        "articles_unchanged": int(stats.get("pressclips/unchanged", 0)),
        "not_articles": int(stats.get("pressclips/not_article", 0)),
        "errors": int(stats.get("spider_exceptions/count", 0)) + int(stats.get("pressclips/store_errors", 0))
        + int(fetch_errors),
        "bytes": int(stats.get("downloader/response_bytes", 0)),
        "articles_gone": int(stats.get("pressclips/gone", 0)),
        "revisits": sum(int(v) for k, v in stats.items() if k.startswith("warc/revisits/")),
        "requests": int(stats.get("downloader/request_count", 0)),
    }


TRIM_SECONDS = 5.0  # malloc_trim takes well under a millisecond here

# A run stopped by its time limit (--max-runtime) did its job: the frontier keeps the rest.
COMPLETE_REASONS = ("finished", "closespider_timeout")


def run_failed(stats: dict[str, Any], finish_reason: str, failures: list[str]) -> bool:
    return bool(failures) or finish_reason not in COMPLETE_REASONS \
        or int(stats.get("spider_exceptions/count", 0)) > 0 or mostly_failed(outlet_outcomes(stats))


class RunRecorder:
    """Starts the run's row once the archive runtime is open; completes it as the runtime's
    first closing step, before the WARC writer and the database go away."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.runtime: ArchiveRuntime | None = None
        self.progress: LoopingCall | None = None
        self.trimmer: LoopingCall | None = None
        # Connected after ArchiveRuntime's handler (its extension order is lower), so the store
        # is open when this runs. The runtime is looked up there: extensions cannot reach each
        # other while the extension manager is still building them.
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.response_received, signal=signals.response_received)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RunRecorder:
        return cls(crawler)

    def spider_opened(self, spider: Spider) -> None:
        runtime = self.runtime = runtime_of(self.crawler)
        if not runtime.is_open:
            return  # the archive is locked or unusable: this run records nothing
        # Synchronous on purpose: the run id must exist before the first capture row is queued.
        runtime.run_id = runtime.store.start_run(str(runtime.config.outlets_file))
        runtime.add_closing_step(self.finish)
        self.crawler.stats.set_value("pressclips/run_id", runtime.run_id)
        self.trimmer = LoopingCall(release_free_memory)
        self.trimmer.start(TRIM_SECONDS, now=False)
        if runtime.config.progress:
            self.progress = LoopingCall(self.show_progress)
            self.progress.start(runtime.config.progress_interval, now=False)

    def response_received(self, response: Response, request: Request, spider: Spider) -> None:
        """Count the answer for its outlet (robots.txt requests, made by Scrapy, carry no outlet).
        Page requisites are left out: they are counted apart (pressclips/assets/*) and never make a
        run failed, as their network failures do not either (AssetFetcher.asset_failed)."""
        if request.meta.get("pc_kind") == CaptureKind.ASSET:
            return
        outlet = request.meta.get("pc_outlet")
        if outlet is None and self.runtime is not None:
            found = self.runtime.outlet_for_url(request.url)
            outlet = found.name if found is not None else None
        count_answer(self.crawler.stats, outlet, response.status, netloc_of(response.url))

    def show_progress(self) -> None:
        """One line on stderr, only when ``pressclips crawl`` runs on a terminal (never under cron)."""
        c = run_counts(self.crawler.stats.get_stats())
        print(f"pressclips: {c['requests']} requests, {c['pages_fetched']} pages, {c['articles_new']} new, "
              f"{c['articles_updated']} updated, {c['articles_unchanged']} unchanged, {c['errors']} errors",
              file=sys.stderr, flush=True)

    async def finish(self, reason: str) -> None:
        for loop in (self.progress, self.trimmer):
            if loop is not None and loop.running:
                loop.stop()
        runtime = self.runtime
        assert runtime is not None  # finish is added in spider_opened
        stats = self.crawler.stats.get_stats()
        # A distributed worker without --until-idle runs until it is stopped: SIGTERM is its end.
        done = "finished" if runtime.worker and not runtime.config.until_idle and reason == "shutdown" else reason
        failed = run_failed(stats, done, runtime.failures)
        counts = run_counts(stats)
        status = RunStatus.FAILED if failed else RunStatus.OK
        self.crawler.stats.set_value("pressclips/status", str(status))
        plain_stats: dict[str, Any] = {k: v for k, v in stats.items() if isinstance(v, (int, float, str))}
        plain_stats["failures"] = runtime.failures[:20]
        causes = cause_lines(outlet_outcomes(stats))
        plain_stats["causes"] = causes
        for line in causes:
            logger.info("%s", line)
        runtime.warc.close()
        run_id = runtime.run_id
        assert run_id is not None  # set in spider_opened, before this step was added

        def complete() -> None:
            runtime.store.finish_run(run_id, status=status, finish_reason=reason,
                                     counts=counts, warc_files=list(runtime.warc.files_written), stats=plain_stats)

        await maybe_deferred_to_future(runtime.db(complete))
