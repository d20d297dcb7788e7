"""The HTTP side of the local site: one threaded server per outlet and its request handler.

The handler asks ``LocalSite`` for the routed page, then decides what goes on the wire:
conditional GET (If-None-Match / If-Modified-Since give 304), gzip ``Content-Encoding`` for
eligible articles when the request accepts it, hand-framed ``Transfer-Encoding: chunked``,
HEAD.  Every request is reported to the site's request log, routing is bracketed by the
site's in-flight counter, and open connections are tracked so ``LocalSite.stop`` can wake
threads parked on idle keep-alive connections.
"""

from __future__ import annotations

import gzip
import time
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING

from .model import OutletSite, RequestLogEntry
from .pages import chunks, http_date
from .routes import Page

if TYPE_CHECKING:
    from .site import LocalSite


def _accepts_gzip(value: str | None) -> bool:
    """Whether an Accept-Encoding value allows gzip (the first gzip/x-gzip/* token decides)."""
    for part in (value or "").split(","):
        token, _, params = part.strip().partition(";")
        if token.strip().lower() in ("gzip", "x-gzip", "*"):
            q = params.strip().replace(" ", "")
            return q not in ("q=0", "q=0.0", "q=0.00", "q=0.000")
    return False


class OutletServer(ThreadingHTTPServer):
    """One outlet's listener; its handlers reach the site and the outlet through it."""

    daemon_threads = True

    def __init__(self, addr: tuple[str, int], site: LocalSite, outlet: OutletSite) -> None:
        self.site = site
        self.outlet = outlet
        super().__init__(addr, _Handler)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "pressclips-localsite/1.0"
    sys_version = ""
    timeout = 30  # idle keep-alive connections end on their own
    server: OutletServer

    def setup(self) -> None:
        super().setup()
        self.server.site._track(self.connection, add=True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.site._track(self.connection, add=False)

    def log_message(self, format: str, *args: object) -> None:
        if self.server.site.verbose:
            super().log_message(format, *args)

    def do_GET(self) -> None:
        self._serve()

    def do_HEAD(self) -> None:
        self._serve()

    def _serve(self) -> None:
        site, outlet = self.server.site, self.server.outlet
        received = time.time()
        # A request is in flight from here until its response starts being written, so a
        # client that sends its next request right after reading a response is never
        # counted twice.
        site._enter(outlet.name)
        try:
            page = site._route(outlet, self.path)
            if page.article is not None and site.article_delay:
                time.sleep(site.article_delay)
            status, headers, payload, encoding, chunked = self._negotiate(page)
            headers_in: dict[str, str] = {}
            for key, value in self.headers.items():
                headers_in[key] = f"{headers_in[key]}, {value}" if key in headers_in else value
            site._record(
                RequestLogEntry(outlet.name, self.command, self.path, headers_in, status,
                                received, encoding, chunked),
                outlet, self.path, payload if self.command == "GET" and status != 304 else None,
                page.article if status == 200 else None,
            )
        finally:
            site._leave(outlet.name)
        self.send_response(status)
        for key, value in headers:
            self.send_header(key, value)
        self.end_headers()
        if self.command == "HEAD" or status == 304:
            return
        self.wfile.write(chunks(payload) if chunked else payload)

    def _negotiate(self, page: Page) -> tuple[int, list[tuple[str, str]], bytes, str | None, bool]:
        headers = [("Content-Type", page.content_type), *page.headers]
        art = page.article
        if art is None or page.status != 200:
            headers.append(("Content-Length", str(len(page.body))))
            return page.status, headers, page.body, None, False
        etag = art.etag + ("-amp" if page.amp else "")
        last_modified = art.last_modified.replace(microsecond=0)
        use_gzip = art.gzip_eligible and _accepts_gzip(self.headers.get("Accept-Encoding"))
        tag = f'"{etag}-gzip"' if use_gzip else f'"{etag}"'
        headers += [("ETag", tag), ("Last-Modified", http_date(last_modified)),
                    ("Vary", "Accept-Encoding"), ("Cache-Control", "max-age=60")]
        if self._not_modified(etag, last_modified):
            return 304, [h for h in headers if h[0] != "Content-Type"], b"", None, False
        payload = gzip.compress(page.body, mtime=0) if use_gzip else page.body
        if use_gzip:
            headers.append(("Content-Encoding", "gzip"))
        chunked = art.chunked and self.request_version == "HTTP/1.1"
        headers.append(("Transfer-Encoding", "chunked") if chunked
                       else ("Content-Length", str(len(payload))))
        return 200, headers, payload, "gzip" if use_gzip else None, chunked

    def _not_modified(self, etag: str, last_modified: datetime) -> bool:
        if not self.server.site.conditional_get:  # a server that ignores validators: always 200
            return False
        inm = self.headers.get("If-None-Match")
        if inm is not None:
            tags = [t.strip().removeprefix("W/").strip('"') for t in inm.split(",")]
            return any(t in ("*", etag, f"{etag}-gzip") for t in tags)
        ims = self.headers.get("If-Modified-Since")
        if ims:
            try:
                since = parsedate_to_datetime(ims)
            except (TypeError, ValueError):
                return False
            if since.tzinfo is None:
                since = since.replace(tzinfo=timezone.utc)
            return last_modified <= since
        return False
