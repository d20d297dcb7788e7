"""The retry and redirect middlewares on a real Crawler (get_crawler, no crawl): retries come from
Scrapy's public get_retry_request; redirect loops and long chains are named."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from scrapy import Request
from scrapy.http import Response

from crawler.middlewares.redirect import (
    LoopAwareRedirectMiddleware,
    RedirectLoop,
    TooManyRedirects,
)
from crawler.middlewares.retry import BackoffRetryMiddleware
from tests.crawler.crawlerkit import a_spider, project_crawler

URL = "http://127.0.0.1:9/news/a"


def retry_middleware(tmp_path: Path, **settings: object) -> BackoffRetryMiddleware:
    crawler = project_crawler(tmp_path, **settings)
    crawler.spider = a_spider(crawler)
    return BackoffRetryMiddleware.from_crawler(crawler)


def test_retry_request_counts_attempts_and_gives_up(tmp_path: Path) -> None:
    mw = retry_middleware(tmp_path, RETRY_TIMES=2)
    stats = mw.crawler.stats
    first = mw.retry_request(Request(URL), "http-503")
    assert first is not None and first.meta["retry_times"] == 1 and first.dont_filter
    second = mw.retry_request(first, "http-503")
    assert second is not None and second.meta["retry_times"] == 2
    assert mw.retry_request(second, "http-503") is None  # three attempts in all
    assert stats.get_value("retry/count") == 2
    assert stats.get_value("retry/reason_count/http-503") == 2
    assert stats.get_value("retry/max_reached") == 1


def test_retry_honours_per_request_max_retry_times(tmp_path: Path) -> None:
    mw = retry_middleware(tmp_path, RETRY_TIMES=5)
    assert mw.retry_request(Request(URL, meta={"max_retry_times": 0}), "truncated") is None


def test_responses_that_are_not_retried_pass_at_once(tmp_path: Path) -> None:
    mw = retry_middleware(tmp_path)
    ok = Response(URL, status=200)
    assert asyncio.run(mw.process_response(Request(URL), ok)) is ok
    unavailable = Response(URL, status=503)
    assert asyncio.run(mw.process_response(Request(URL, meta={"dont_retry": True}), unavailable)) is unavailable
    challenge = Response(URL, status=503, headers={"cf-mitigated": "challenge"})
    assert asyncio.run(mw.process_response(Request(URL), challenge)) is challenge
    assert mw.crawler.stats.get_value("retry/skipped_challenge") == 1
    assert mw.backoff == 1.0 and mw.max_wait == 300.0  # crawler/settings.py defaults


def redirect_middleware(tmp_path: Path) -> LoopAwareRedirectMiddleware:
    crawler = project_crawler(tmp_path, REDIRECT_MAX_TIMES=3)
    crawler.spider = a_spider(crawler)
    return LoopAwareRedirectMiddleware.from_crawler(crawler)


def moved(to: str) -> Response:
    return Response(URL, status=301, headers={"Location": to})


def test_redirect_is_followed_with_its_pointer_dropped(tmp_path: Path) -> None:
    mw = redirect_middleware(tmp_path)
    request = Request(URL, meta={"warc_pointer": "3xx record", "fetched_at": "then"})
    follow = mw.process_response(request, moved("/news/b"))
    assert isinstance(follow, Request) and follow.url == "http://127.0.0.1:9/news/b"
    assert follow.dont_filter and "warc_pointer" not in follow.meta and "fetched_at" not in follow.meta
    assert follow.meta["redirect_urls"] == [URL]
    plain = Response(URL, status=200)
    assert mw.process_response(request, plain) is plain


def test_redirect_loop_and_too_long_chain_are_named(tmp_path: Path) -> None:
    mw = redirect_middleware(tmp_path)
    hop = mw.process_response(Request(URL), moved("/news/b"))
    assert isinstance(hop, Request)
    with pytest.raises(RedirectLoop, match="redirect loop after 2 hops"):
        mw.process_response(hop, Response(hop.url, status=302, headers={"Location": URL}))
    assert mw.crawler.stats.get_value("pressclips/redirect_loops") == 1
    request = Request(URL)
    for n in range(3):
        nxt = mw.process_response(request, Response(request.url, status=302, headers={"Location": f"/hop/{n}"}))
        assert isinstance(nxt, Request)
        request = nxt
    with pytest.raises(TooManyRedirects, match="more than 3 redirects"):
        mw.process_response(request, Response(request.url, status=302, headers={"Location": "/hop/x"}))
    assert mw.crawler.stats.get_value("pressclips/too_many_redirects") == 1
