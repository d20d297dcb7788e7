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


def test_a_run_whose_requests_mostly_failed_is_failed() -> None:
    outlet = "pressclips/outlet/"
    everything_failed = {f"{outlet}variety/requests": 204,
                         f"{outlet}variety/failed/DNS lookup failed for variety.com (network unreachable?)": 204}
    assert run_failed(everything_failed, "finished", [])
    half = {f"{outlet}a/requests": 10, f"{outlet}a/pages": 5, f"{outlet}a/failed/HTTP 503 from a.test": 5}
    assert not run_failed(half, "finished", [])  # half is not most
    most = {**half, f"{outlet}b/requests": 1, f"{outlet}b/failed/connection refused by 127.0.0.1:9": 1}
    assert run_failed(most, "finished", [])
    assert not run_failed({f"{outlet}a/requests": 0}, "finished", [])  # nothing asked, nothing failed


def test_cause_lines_one_per_outlet_and_cause_most_frequent_first() -> None:
    from crawler.outcomes import cause_lines, outlet_outcomes

    stats = {"pressclips/outlet/a/requests": 40, "pressclips/outlet/a/pages": 35,
             "pressclips/outlet/a/failed/no answer from a.test within DOWNLOAD_TIMEOUT": 1,
             "pressclips/outlet/a/failed/HTTP 503 from a.test": 4,
             "pressclips/outlet/b/requests": 3, "pressclips/outlet/b/pages": 3, "pressclips/new": 9}
    assert cause_lines(outlet_outcomes(stats)) == [
        "outlet a: 40 requests, 35 pages, 4 failed: HTTP 503 from a.test",
        "outlet a: 40 requests, 35 pages, 1 failed: no answer from a.test within DOWNLOAD_TIMEOUT",
    ]


def test_stderr_lines_carry_no_traceback_and_the_file_keeps_it_as_debug() -> None:
    import logging
    import sys

    from archive.ops.logfile import FORMAT, OneLineFormatter, TracebackAsDebugFormatter

    try:
        raise ValueError("bad\nvalue")
    except ValueError:
        record = logging.LogRecord("scrapy.core", logging.ERROR, __file__, 1, "Error downloading %s:\nsecond line",
                                   ("<GET http://a.test/>",), sys.exc_info())
    one_line = OneLineFormatter(FORMAT).format(record)
    assert one_line.endswith("[scrapy.core] ERROR: Error downloading <GET http://a.test/>:")
    assert "\n" not in one_line
    in_file = TracebackAsDebugFormatter(FORMAT).format(record)
    first, debug = in_file.split("\n", 2)[0], in_file.split("\n", 2)[2]
    assert first.endswith("ERROR: Error downloading <GET http://a.test/>:")
    assert "[scrapy.core] DEBUG: traceback of the above:\nTraceback (most recent call last)" in in_file
    assert debug.rstrip().endswith("ValueError: bad\nvalue")
    assert "Traceback" not in OneLineFormatter(FORMAT).format(record)  # the file's formatting left no cache behind
