"""Fetches that produced no page: what went wrong, and recording it.

``classify_failure`` turns the Failure a request's errback receives into a ``FetchFault``
(a short reason for stats and logs) or None when nothing went wrong from the archive's point
of view (robots.txt refusals, offsite filtering). ``record_fault`` records it:

- stats ``pressclips/fetch_errors`` and ``pressclips/fetch_errors/<reason>`` (the run row keeps them);
- the outlet's outcome: one more failed request under the fault's ``cause``, a line a person can
  act on ("connection refused by 127.0.0.1:9"); see ``crawler.outcomes``;
- when the response itself was archived before being refused (a gzip bomb is refused while
  decoding, after the WARC recorder kept its still-encoded body), that capture's kind becomes
  ``not-article`` with the reason. A refusal before the body arrived (Content-Length over
  DOWNLOAD_MAXSIZE, a timeout) has no body and so no capture.

The URL's frontier row is updated by the spider (``Frontier.fetch_failed``: one more failure,
then a backoff, or giving up on a refusal).

Reasons: timeout, too-large, truncated, redirect-loop, too-many-redirects, dns, connection,
cancelled, or "error: <ExceptionType>".
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from typing import Any

from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    DownloadTimeoutError,
    IgnoreRequest,
    ResponseDataLossError,
)
from twisted.internet.error import ConnectError, ConnectionDone, ConnectionLost
from twisted.internet.error import ConnectionRefusedError as TwistedConnectionRefused
from twisted.python.failure import Failure

from archive.db.kinds import CaptureKind
from archive.urls import netloc_of
from crawler.middlewares.redirect import RedirectLoop, TooManyRedirects
from crawler.outcomes import count_failure

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class FetchFault:
    reason: str
    detail: str
    capture_kept: bool = False  # the refused response was archived (its capture gets the reason)
    cause: str = ""  # for people, per host, no URL: identical failures add up to one summary line


def _decompression_refused(exc: BaseException) -> bool:
    # HttpCompressionMiddleware raises IgnoreRequest from its private size-exceeded error.
    cause = exc.__cause__
    return (cause is not None and type(cause).__name__ == "_DecompressionMaxSizeExceeded") or \
        "DOWNLOAD_MAXSIZE" in str(exc)


def classify_failure(failure: Failure) -> FetchFault | None:
    """What a failed request means for the archive; None for expected refusals."""
    fault = _classify(failure)
    if fault is None or failure.value is None:
        return fault
    request = getattr(failure, "request", None)  # Scrapy sets it on the Failure an errback gets
    netloc = netloc_of(request.url) if request is not None else "?"
    return replace(fault, cause=describe(failure.value, fault.reason, netloc))


def describe(exc: BaseException, reason: str, netloc: str) -> str:
    """The cause of a failed request as one line for people, naming the host but not the URL."""
    if reason == "dns":
        return f"DNS lookup failed for {netloc.rsplit(':', 1)[0]} (network unreachable?)"
    if reason == "connection":
        if isinstance(exc, (DownloadConnectionRefusedError, TwistedConnectionRefused)):
            return f"connection refused by {netloc}"
        if isinstance(exc, (ConnectionLost, ConnectionDone)):
            return f"connection to {netloc} lost before the response ended"
        return f"cannot connect to {netloc}: {_first_line(exc) or type(exc).__name__}"
    if reason == "timeout":
        return f"no answer from {netloc} within DOWNLOAD_TIMEOUT"
    if reason == "too-large":
        return f"response from {netloc} over DOWNLOAD_MAXSIZE"
    return f"{reason} at {netloc}"


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0][:200] if lines else ""


def _classify(failure: Failure) -> FetchFault | None:
    exc = failure.value
    detail = failure.getErrorMessage()
    if isinstance(exc, RedirectLoop):
        return FetchFault("redirect-loop", detail)
    if isinstance(exc, TooManyRedirects):
        return FetchFault("too-many-redirects", detail)
    if isinstance(exc, IgnoreRequest):
        if _decompression_refused(exc):
            return FetchFault("too-large", detail, capture_kept=True)
        return None  # robots.txt, offsite: politeness, not a fault
    if isinstance(exc, DownloadTimeoutError):
        return FetchFault("timeout", detail)
    if isinstance(exc, DownloadCancelledError):
        # Scrapy cancels a download for one reason: DOWNLOAD_MAXSIZE. Announced by Content-Length
        # the message says so; exceeded while streaming, the cancellation carries no message.
        if "max size" in detail or not detail:
            return FetchFault("too-large", detail or "body exceeded DOWNLOAD_MAXSIZE while streaming")
        return FetchFault("cancelled", detail)
    if isinstance(exc, ResponseDataLossError):
        return FetchFault("truncated", detail)
    if isinstance(exc, CannotResolveHostError):
        return FetchFault("dns", detail)
    if isinstance(exc, (DownloadConnectionRefusedError, DownloadFailedError, ConnectError, ConnectionLost,
                        ConnectionDone)):
        return FetchFault("connection", detail)
    return FetchFault(f"error: {type(exc).__name__}", detail)


def record_fault(crawler: Any, runtime: Any, request: Any, fault: FetchFault) -> None:
    """Count the fault; when the refused response was archived, give its capture the reason.

    The frontier row itself (failures, next due time) is the spider's errback's business
    (``Frontier.fetch_failed``)."""
    stats = crawler.stats
    stats.inc_value("pressclips/fetch_errors")
    stats.inc_value(f"pressclips/fetch_errors/{fault.reason.split(':')[0]}")
    outlet = request.meta.get("pc_outlet")
    if outlet is None and runtime is not None:
        found = runtime.outlet_for_url(request.url)
        outlet = found.name if found is not None else None
    count_failure(stats, outlet, fault.cause or f"{fault.reason} at {netloc_of(request.url)}")
    pointer = request.meta.get("warc_pointer")
    if fault.capture_kept and pointer is not None:
        d = runtime.db(runtime.store.set_capture_kind, pointer.record_id, CaptureKind.NOT_ARTICLE, fault.reason)
        d.addErrback(lambda f: runtime.note_failure(f"capture kind for {request.url} not saved: {f.value}"))


class RobotsTxtFailureCounter:
    """Downloader middleware counting a robots.txt request that ended in failure for its outlet.

    Scrapy's RobotsTxtMiddleware fetches robots.txt itself, so its failures reach no spider
    errback; without this, an outlet that refuses every connection would show one request fewer
    than it was sent. Placed below the retry middleware (550): ``process_exception`` runs from the
    highest priority down, so this sees only what retries gave up on. Responses to robots.txt are
    counted by the run recorder like any other (``response_received``)."""

    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Any) -> RobotsTxtFailureCounter:
        return cls(crawler)

    def process_exception(self, request: Any, exception: Exception) -> None:
        if request.meta.get("pc_outlet") is not None or not request.meta.get("dont_obey_robotstxt"):
            return None  # the spider's own requests are counted by its errback (record_fault)
        failure = Failure(exception)
        failure.request = request  # type: ignore[attr-defined]  # as Scrapy hands it to errbacks
        fault = classify_failure(failure)
        if fault is not None:
            from crawler.runtime import runtime_of  # the archive side is open once requests flow

            found = runtime_of(self.crawler).outlet_for_url(request.url)
            count_failure(self.crawler.stats, found.name if found is not None else None, fault.cause)
        return None
