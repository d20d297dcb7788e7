"""One ``crawl_runs`` row per run: opened when the spider opens, completed when it closes.

The run's status is decided from its stats, not from Scrapy's exit code (``scrapy crawl`` exits
0 even after errors; DESIGN §4): spider exceptions, archive write failures, a WARC failure or a
finish reason other than ``finished`` make it ``failed``.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.task import LoopingCall

from archive.db.kinds import RunStatus
from archive.memory import release_free_memory
from crawler.runtime import ArchiveRuntime

logger = logging.getLogger(__name__)


def run_counts(stats: dict[str, Any]) -> dict[str, int]:
    """The summary figures of a run, from Scrapy stats."""
    # Requests refused by robots.txt or the offsite filter are politeness, not errors.
    fetch_errors = sum(v for k, v in stats.items() if k.startswith("downloader/exception_type_count/")
                       and not k.endswith("IgnoreRequest"))
    return {
        "pages_fetched": int(stats.get("downloader/response_count", 0)),
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


PROGRESS_SECONDS = 10.0
TRIM_SECONDS = 5.0  # malloc_trim takes well under a millisecond here

# A run stopped by its time limit (--max-runtime) did its job: the frontier keeps the rest.
COMPLETE_REASONS = ("finished", "closespider_timeout")


def run_failed(stats: dict[str, Any], finish_reason: str, failures: list[str]) -> bool:
    return bool(failures) or finish_reason not in COMPLETE_REASONS \
        or int(stats.get("spider_exceptions/count", 0)) > 0


class RunRecorder:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.runtime = ArchiveRuntime.of(crawler)
        self.progress: LoopingCall | None = None
        self.trimmer: LoopingCall | None = None
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "RunRecorder":
        return cls(crawler)

    def spider_opened(self, spider: Spider) -> None:
        # Synchronous on purpose: the run id must exist before the first capture row is queued.
        self.runtime.run_id = self.runtime.store.start_run(self.runtime.outlets_file)
        self.crawler.stats.set_value("pressclips/run_id", self.runtime.run_id)
        self.trimmer = LoopingCall(release_free_memory)
        self.trimmer.start(TRIM_SECONDS, now=False)
        if self.crawler.settings.getbool("PRESSCLIPS_PROGRESS"):
            self.progress = LoopingCall(self.show_progress)
            every = self.crawler.settings.getfloat("PRESSCLIPS_PROGRESS_INTERVAL", PROGRESS_SECONDS)
            self.progress.start(every, now=False)

    def show_progress(self) -> None:
        """One line on stderr, only when ``pressclips crawl`` runs on a terminal (never under cron)."""
        c = run_counts(self.crawler.stats.get_stats())
        print(f"pressclips: {c['requests']} requests, {c['pages_fetched']} pages, {c['articles_new']} new, "
              f"{c['articles_updated']} updated, {c['articles_unchanged']} unchanged, {c['errors']} errors",
              file=sys.stderr, flush=True)

    async def spider_closed(self, spider: Spider, reason: str) -> None:
        for loop in (self.progress, self.trimmer):
            if loop is not None and loop.running:
                loop.stop()
        runtime = self.runtime
        stats = self.crawler.stats.get_stats()
        failed = run_failed(stats, reason, runtime.failures)
        counts = run_counts(stats)
        status = RunStatus.FAILED if failed else RunStatus.OK
        self.crawler.stats.set_value("pressclips/status", str(status))
        plain_stats = {k: v for k, v in stats.items() if isinstance(v, (int, float, str))}
        plain_stats["failures"] = runtime.failures[:20]
        try:
            runtime.warc.close()
            def finish() -> None:
                runtime.store.finish_run(runtime.run_id, status=status,
                                         finish_reason=reason, counts=counts,
                                         warc_files=list(runtime.warc.files_written), stats=plain_stats)

            await maybe_deferred_to_future(runtime.db(finish))
        finally:
            runtime.close()
