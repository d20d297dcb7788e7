"""Retries that wait: exponential backoff, ``Retry-After`` honoured, the reactor never blocked.

Replaces Scrapy's RetryMiddleware (same priority, same settings: ``RETRY_ENABLED``,
``RETRY_TIMES``, ``RETRY_HTTP_CODES``, ``RETRY_EXCEPTIONS``, ``RETRY_PRIORITY_ADJUST``, meta
``dont_retry`` / ``max_retry_times``), which re-queues at once. Here each retry waits first:

- ``Retry-After`` on the response (RFC 9110 §10.2.3: delta-seconds or an HTTP-date; a date is
  measured against the response's own ``Date`` header when it has one, so clock skew between
  us and the server does not shorten the wait): at least that long;
- and at least the backoff ``PRESSCLIPS_RETRY_BACKOFF`` × 2^(attempt-1), plus up to 25 % jitter.
- A ``Retry-After`` beyond ``PRESSCLIPS_RETRY_AFTER_MAX`` (300 s) is not waited for in this run:
  the response goes on to the spider as it is (its status is recorded on the URL, and the
  frontier decides when to come back) and ``retry/retry_after_too_long`` counts it.
- A truncated body (Scrapy's ``dataloss`` flag; ``DOWNLOAD_FAIL_ON_DATALOSS = False`` so the
  partial response is archived) is retried like a dropped connection; the last attempt
  reaches the spider still flagged and is stored as ``truncated``.
- A bot challenge (``cf-mitigated: challenge``) is not retried: seconds later it is the same
  challenge. It reaches the spider and is recorded as ``blocked``.

Logic is in plain functions (``parse_retry_after``, ``retry_delay``, ``retry_reason``); the
middleware adapts them, as Scrapy's own retry.py does. The wait is a Twisted delayed call
awaited in an ``async def`` hook: the reactor keeps running, the outlet's download slot serves
other requests meanwhile, and the request still counts as in progress so the spider does not
close as idle. Pending waits are cancelled when the spider closes.

An archived response that is retried keeps its capture, with kind ``error`` and reason
``retried: <why>``; the next attempt gets a capture of its own.
"""

from __future__ import annotations

import logging
import random
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.retry import get_retry_request
from scrapy.exceptions import NotConfigured
from scrapy.http import Response
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.misc import load_object
from twisted.internet import reactor
from twisted.internet.defer import Deferred
from twisted.internet.task import deferLater

logger = logging.getLogger(__name__)

JITTER = 0.25


def _text(value: str | bytes | None) -> str | None:
    if value is None:
        return None
    return (value.decode("latin-1") if isinstance(value, bytes) else value).strip() or None


def _http_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def parse_retry_after(value: str | bytes | None, *, now: datetime, date: str | bytes | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` value; None when absent or unreadable; never negative.

    An HTTP-date is compared with the response's ``Date`` when given (the server's clock),
    else with ``now``.
    """
    text = _text(value)
    if text is None:
        return None
    if text.isascii() and text.isdigit():
        return float(int(text[:12]))  # a 40-digit value is "forever", not an OverflowError
    when = _http_date(text)
    if when is None:
        return None
    reference = _http_date(_text(date)) or now
    try:
        return max(0.0, (when - reference).total_seconds())
    except OverflowError:  # pragma: no cover - datetimes are bounded; kept for safety
        return None


def retry_delay(attempt: int, *, backoff: float, retry_after: float | None, jitter: float = 0.0) -> float:
    """Wait before retry number ``attempt`` (1-based): the larger of the backoff and Retry-After."""
    exponential: float = backoff * (2 ** min(max(attempt, 1) - 1, 16)) * (1.0 + max(jitter, 0.0))
    return max(exponential, retry_after or 0.0)


def retry_reason(response: Response, retry_codes: set[int]) -> str | None:
    """Why a response should be retried ("http-503", "truncated"), or None."""
    if (response.headers.get("cf-mitigated") or b"").lower() == b"challenge":
        return None
    if response.status in retry_codes:
        return f"http-{response.status}"
    if "dataloss" in (response.flags or []):
        return "truncated"
    return None


class BackoffRetryMiddleware:
    """Takes the place of Scrapy's RetryMiddleware without subclassing it (its hooks are
    synchronous; these wait), reading the same settings; the retry itself is Scrapy's public
    ``get_retry_request``."""

    def __init__(self, crawler: Crawler) -> None:
        settings = crawler.settings
        if not settings.getbool("RETRY_ENABLED"):
            raise NotConfigured
        self.crawler = crawler
        self.max_retry_times = settings.getint("RETRY_TIMES")
        self.retry_http_codes = {int(x) for x in settings.getlist("RETRY_HTTP_CODES")}
        self.priority_adjust = settings.getint("RETRY_PRIORITY_ADJUST")
        self.give_up_log_level = settings.get("RETRY_GIVE_UP_LOG_LEVEL")
        self.exceptions_to_retry: tuple[type[BaseException], ...] = tuple(
            load_object(x) if isinstance(x, str) else x for x in settings.getlist("RETRY_EXCEPTIONS"))
        # Defaults live in crawler.settings; crawler.config validated the values at start.
        self.backoff = settings.getfloat("PRESSCLIPS_RETRY_BACKOFF")
        self.max_wait = settings.getfloat("PRESSCLIPS_RETRY_AFTER_MAX")
        self._waits: set[Deferred[Any]] = set()
        crawler.signals.connect(self._cancel_waits, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> BackoffRetryMiddleware:
        return cls(crawler)

    async def process_response(self, request: Request, response: Response) -> Request | Response:
        if request.meta.get("dont_retry", False):
            return response
        reason = retry_reason(response, self.retry_http_codes)
        if reason is None:
            if response.status in self.retry_http_codes:  # a challenge: retrying now would meet it again
                self.crawler.stats.inc_value("retry/skipped_challenge")
            return response
        retry_after = parse_retry_after(response.headers.get("Retry-After"), now=datetime.now(timezone.utc),
                                        date=response.headers.get("Date"))
        if retry_after is not None and retry_after > self.max_wait:
            self.crawler.stats.inc_value("retry/retry_after_too_long")
            logger.info("not retrying %s in this run: Retry-After %.0f s exceeds PRESSCLIPS_RETRY_AFTER_MAX (%.0f s)",
                        request.url, retry_after, self.max_wait)
            return response
        new = self.retry_request(request, reason)
        if new is None:
            return response
        self._mark_retried(request, reason)
        await self._wait(new, retry_after)
        return new

    async def process_exception(self, request: Request, exception: Exception) -> Request | Response | None:
        if not isinstance(exception, self.exceptions_to_retry) or request.meta.get("dont_retry", False):
            return None
        new = self.retry_request(request, exception)
        if new is None:
            return None
        await self._wait(new, None)
        return new

    # -- helpers -------------------------------------------------------------------------------
    def retry_request(self, request: Request, reason: str | Exception) -> Request | None:
        """The next attempt, or None once retries are exhausted: Scrapy's public
        ``get_retry_request`` with the same per-request meta overrides RetryMiddleware honours
        (it counts ``retry/count``, ``retry/reason_count/*`` and ``retry/max_reached``)."""
        assert self.crawler.spider is not None
        meta = request.meta
        return get_retry_request(
            request, spider=self.crawler.spider, reason=reason,
            max_retry_times=meta.get("max_retry_times", self.max_retry_times),
            priority_adjust=meta.get("priority_adjust", self.priority_adjust),
            give_up_log_level=meta.get("give_up_log_level", self.give_up_log_level),
        )

    async def _wait(self, new: Request, retry_after: float | None) -> None:
        # The copy must not carry the previous attempt's WARC pointer into the next one.
        new.meta.pop("warc_pointer", None)
        new.meta.pop("fetched_at", None)
        delay = retry_delay(new.meta["retry_times"], backoff=self.backoff, retry_after=retry_after,
                            jitter=random.uniform(0.0, JITTER))
        self.crawler.stats.inc_value("retry/wait_seconds", round(delay, 3))  # type: ignore[arg-type]  # float stat
        logger.debug("retrying %s in %.2f s", new.url, delay)
        d: Deferred[Any] = deferLater(reactor, delay, lambda: None)
        self._waits.add(d)
        try:
            await maybe_deferred_to_future(d)  # CancelledError when the spider closes meanwhile
        finally:
            self._waits.discard(d)

    def _mark_retried(self, request: Request, reason: str) -> None:
        pointer = request.meta.get("warc_pointer")
        if pointer is None:
            return
        from archive.db.kinds import CaptureKind
        from crawler.runtime import runtime_of  # the archive side exists once a response was recorded

        runtime = runtime_of(self.crawler)
        d = runtime.db(runtime.store.set_capture_kind, pointer.record_id, CaptureKind.ERROR, f"retried: {reason}")
        d.addErrback(lambda f: runtime.note_failure(f"capture kind for {request.url} not saved: {f.value}"))

    def _cancel_waits(self, spider: Any = None) -> None:
        for d in list(self._waits):
            d.cancel()
