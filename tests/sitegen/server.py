"""The HTTP side of a generated outlet: one ``ThreadingHTTPServer`` per outlet on 127.0.0.1.

The handler routes the request under the site lock, then applies the outlet's validators:
``etag`` (strong ETag of the identity body, If-None-Match → 304), ``last-modified`` (the date of
the round in which this URL's current body first went out, If-Modified-Since → 304) or
``none`` (no validators, always a full 200).  HTML and XML are gzipped when the client accepts
it (``mtime=0``, so identical bodies stay byte-identical on the wire).  Every request is logged
with the bytes it sent and how many of the outlet's requests were in flight.
"""

from __future__ import annotations

import gzip
import hashlib
import sys
import time
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from .model import GenOutlet, LogEntry
from .router import Resource

if TYPE_CHECKING:
    from .site import GeneratedSite

_COMPRESSIBLE = ("text/", "application/xml", "application/rss", "application/atom")


def _accepts_gzip(value: str | None) -> bool:
    tokens = [part.split(";")[0].strip().lower() for part in (value or "").split(",")]
    return "gzip" in tokens


class OutletServer(ThreadingHTTPServer):
    """One outlet's listener; handlers reach the site and the outlet through it."""

    daemon_threads = True

    def __init__(self, site: GeneratedSite, outlet: GenOutlet) -> None:
        self.site = site
        self.outlet = outlet
        super().__init__(("127.0.0.1", 0), _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:  # typeshed's own types
        """A client that went away (a killed crawl) is normal here; anything else is reported."""
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "pressclips-sitegen/1.0"
    sys_version = ""
    timeout = 30
    server: OutletServer

    def log_message(self, format: str, *args: object) -> None:
        """Requests go to the site's structured log, not stderr."""

    def do_GET(self) -> None:
        self._serve()

    def do_HEAD(self) -> None:
        self._serve()

    def _serve(self) -> None:
        site, outlet = self.server.site, self.server.outlet
        received = time.time()
        parts = urlsplit(self.path)
        site._wait_if_held(outlet.name, parts.path or "/")
        in_flight = site._enter(outlet.name)
        try:
            resource, last_modified, digest = site._resolve(outlet, parts.path or "/", parts.query)
            status, headers, payload = self._negotiate(resource, last_modified)
        finally:
            site._leave(outlet.name)
        body = payload if self.command == "GET" and status != 304 else b""
        # Logged before the response goes out, so a client that has read it always finds its entry.
        site._log(LogEntry(outlet.name, outlet.round, self.command, parts.path or "/", parts.query,
                           dict(self.headers.items()), status, len(body), received, in_flight, resource.kind,
                           outlet.base_url + resource.article.path if resource.article else None, digest))
        self.send_response(status)
        for key, value in headers:
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)

    def _negotiate(self, resource: Resource, last_modified: float) -> tuple[int, list[tuple[str, str]], bytes]:
        plan = self.server.outlet.plan
        headers = [("Content-Type", resource.content_type)]
        if resource.status == 200 and plan.validators == "etag":
            etag = '"' + hashlib.sha1(resource.body).hexdigest()[:16] + '"'
            headers.append(("ETag", etag))
            inm = self.headers.get("If-None-Match")
            if inm and etag in [t.strip().removeprefix("W/") for t in inm.split(",")]:
                return 304, headers[1:], b""
        elif resource.status == 200 and plan.validators == "last-modified":
            headers.append(("Last-Modified", _http_date(last_modified)))
            if self._not_modified_since(last_modified):
                return 304, headers[1:], b""
        payload = resource.body
        if resource.content_type.startswith(_COMPRESSIBLE) and _accepts_gzip(self.headers.get("Accept-Encoding")):
            payload = gzip.compress(payload, mtime=0)
            headers.append(("Content-Encoding", "gzip"))
            headers.append(("Vary", "Accept-Encoding"))
        headers.append(("Content-Length", str(len(payload))))
        return resource.status, headers, payload

    def _not_modified_since(self, last_modified: float) -> bool:
        value = self.headers.get("If-Modified-Since")
        if not value:
            return False
        try:
            since = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return False
        if since.tzinfo is None:
            since = since.replace(tzinfo=UTC)
        return since.timestamp() >= last_modified


def _http_date(timestamp: float) -> str:
    return format_datetime(datetime.fromtimestamp(timestamp, UTC), usegmt=True)
