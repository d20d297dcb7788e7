"""Meta refresh is still followed, but only the head of the page is decoded to find it."""

from __future__ import annotations

from scrapy import Spider
from scrapy.http import HtmlResponse, Request
from scrapy.utils.test import get_crawler

from crawler.middlewares.redirect import META_REFRESH_HEAD_BYTES, HeadOnlyMetaRefreshMiddleware


def middleware() -> HeadOnlyMetaRefreshMiddleware:
    crawler = get_crawler(Spider, {"METAREFRESH_ENABLED": True})
    crawler.spider = Spider("press")
    return HeadOnlyMetaRefreshMiddleware.from_crawler(crawler)


def test_refresh_in_the_head_of_a_big_page_is_followed() -> None:
    req = Request("http://127.0.0.1/old")
    body = b'<html><head><meta http-equiv="refresh" content="0; url=/new"></head><body>' + b"x" * 500_000
    out = middleware().process_response(req, HtmlResponse(req.url, body=body, request=req))
    assert isinstance(out, Request) and out.url == "http://127.0.0.1/new"


def test_a_page_without_refresh_comes_back_whole() -> None:
    req = Request("http://127.0.0.1/a")
    page = HtmlResponse(req.url, body=b"<html><body>" + b"y" * (META_REFRESH_HEAD_BYTES * 10), request=req)
    assert middleware().process_response(req, page) is page


def test_a_refresh_deep_in_the_body_is_ignored_as_scrapy_does() -> None:
    req = Request("http://127.0.0.1/a")
    body = b"<html><body>" + b"z" * 20_000 + b'<meta http-equiv="refresh" content="0; url=/late">'
    page = HtmlResponse(req.url, body=body, request=req)
    assert middleware().process_response(req, page) is page
