"""Redirects: Scrapy's RedirectMiddleware with loop detection and a named give-up.

Scrapy stops a redirect loop only by accident (the scheduler's duplicate filter drops the
second visit silently) and ends a too-long chain with a bare ``IgnoreRequest`` that looks like a
robots.txt refusal. Here a hop back to a URL already in the chain raises ``RedirectLoop`` and a
chain longer than ``REDIRECT_MAX_TIMES`` raises ``TooManyRedirects``; the spider's errback
counts them and records the failure on the URL (``crawler.faults``).

Every hop bypasses the duplicate filter (loops are caught here instead): a moved URL whose
target was already fetched must still reach its article, so the first URL of the chain is
linked to it (DESIGN §2: every URL variant belongs to its article).

URLs are compared exactly, not canonically: ``/story`` → ``/story/`` and ``?utm_source=x`` → ``/``
redirects change the URL, not the page, and are not loops.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urldefrag

from scrapy import Request
from scrapy.downloadermiddlewares.redirect import MetaRefreshMiddleware, RedirectMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import HtmlResponse, Response


class RedirectLoop(IgnoreRequest):
    """A redirect led back to a URL already in its chain."""


class TooManyRedirects(IgnoreRequest):
    """A redirect chain longer than REDIRECT_MAX_TIMES."""


def is_redirect_loop(chain: list[str], target: str) -> bool:
    """True when ``target`` (fragment ignored) is already one of the chain's URLs."""
    return urldefrag(target).url in {urldefrag(url).url for url in chain}


class LoopAwareRedirectMiddleware(RedirectMiddleware):
    """Wraps Scrapy's public ``process_response``: the redirect it builds is checked for a loop,
    and its give-up (a bare ``IgnoreRequest``) is renamed, without touching its private
    ``_redirect``."""

    def process_response(self, request: Request, response: Response, spider: Any = None) -> Request | Response:
        chain = [*request.meta.get("redirect_urls", []), request.url]
        stats = self.crawler.stats
        try:
            result = super().process_response(request, response)
        except IgnoreRequest as exc:  # only raised when the chain is too long
            stats.inc_value("pressclips/too_many_redirects")
            raise TooManyRedirects(f"more than {self.max_redirect_times} redirects from {chain[0]}") from exc
        if not isinstance(result, Request):
            return result
        if is_redirect_loop(chain, result.url):
            stats.inc_value("pressclips/redirect_loops")
            raise RedirectLoop(f"redirect loop after {len(chain)} hops: {request.url} -> {result.url}")
        result.dont_filter = True
        # The WARC pointer on meta belongs to this 3xx response, not to whatever comes next.
        result.meta.pop("warc_pointer", None)
        result.meta.pop("fetched_at", None)
        return result


# <meta http-equiv=refresh> lives in <head>: Scrapy looks only at the first 4096 characters but
# decodes the whole body to text first (a 2.6 MB page became ~7 MB of str per response).
META_REFRESH_HEAD_BYTES = 8192


class HeadOnlyMetaRefreshMiddleware(MetaRefreshMiddleware):
    """Scrapy's MetaRefreshMiddleware, reading only the head of the page."""

    def process_response(self, request: Request, response: Response, spider: Any = None) -> Request | Response:
        head = response
        if isinstance(response, HtmlResponse) and len(response.body) > META_REFRESH_HEAD_BYTES:
            head = response.replace(body=response.body[:META_REFRESH_HEAD_BYTES])
        result = super().process_response(request, head)
        return response if result is head else result
