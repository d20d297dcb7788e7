"""How a run's outcome is decided from Scrapy stats (Scrapy itself exits 0 after errors)."""

from __future__ import annotations

from crawler.extensions import run_counts, run_failed


def test_counts_come_from_stats_and_robots_refusals_are_not_errors() -> None:
    stats = {
        "downloader/response_count": 40, "pressclips/new": 7, "pressclips/updated": 2, "pressclips/unchanged": 3,
        "pressclips/not_article": 20, "downloader/response_bytes": 12345,
        "downloader/exception_type_count/scrapy.exceptions.IgnoreRequest": 5,
        "downloader/exception_type_count/twisted.internet.error.TimeoutError": 2,
        "spider_exceptions/count": 1, "pressclips/store_errors": 1, "pressclips/gone": 2,
        "warc/revisits/server-not-modified": 5, "warc/revisits/identical-payload-digest": 1,
        "downloader/request_count": 47,
    }
    assert run_counts(stats) == {"pages_fetched": 40, "articles_new": 7, "articles_updated": 2,
                                 "articles_unchanged": 3, "not_articles": 20, "errors": 4, "bytes": 12345,
                                 "articles_gone": 2, "revisits": 6, "requests": 47}


def test_failed_runs() -> None:
    assert not run_failed({}, "finished", [])
    assert run_failed({"spider_exceptions/count": 1}, "finished", [])
    assert run_failed({}, "warc_error", [])
    assert run_failed({}, "shutdown", [])
    assert not run_failed({}, "closespider_timeout", [])  # --max-runtime: the frontier keeps the rest
    assert run_failed({}, "finished", ["archive write failed for x"])
