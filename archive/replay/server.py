"""``pressclips replay serve``: a local web server replaying archived captures, pywb-style.

Owns the URL grammar and the routing: ``/<timestamp>[<mod>_]/<url>`` replays the capture of
``url`` closest to the timestamp (1-14 digits; modifiers ``id_`` = the archived bytes unrewritten,
``if_`` = the framed document of ``--scripts``); ``/<url>`` alone means the latest capture; a
``banner=0`` parameter in the URL's query hides the banner (it is taken off before the
lookup). ``/`` and ``/article/<id>`` are the archive's own pages (``archive.replay.pages``);
``ReplayApp.routes`` maps path prefixes to page handlers (rest of the path, query string), so new
pages plug in with one entry, without touching the replay grammar. HTML and CSS are rewritten
and the banner added by ``archive.replay.rendering``. A URL the archive does not hold gets a
"not archived" page (404) offering the nearest captures.

What the client gets for a capture: the archived status and reason; the archived headers minus
hop-by-hop ones (Connection and the headers it names, Keep-Alive, Proxy-*, TE, Trailer,
Transfer-Encoding, Upgrade); the body decoded (de-chunked, gzip/deflate removed) with
Content-Length recomputed and Content-Encoding dropped, or, for an encoding we cannot decode,
the stored bytes with their Content-Encoding. Only headers that describe the representation
pass under their own name (``PASS_HEADERS``); every other archived header is renamed
``X-Archive-Orig-<name>`` so it stays visible but inert: an archived Set-Cookie must not set a
cookie on 127.0.0.1, Access-Control-Allow-Origin must not let other sites read the archive,
Report-To/NEL/Link/Refresh must not make the browser contact the live web. Redirects keep
their status with Location rewritten into the replay namespace.

Security: rewritten pages carry ``REPLAY_CSP`` (no script, nothing from anywhere but this
server), raw captures ``ARCHIVED_CSP`` (sandbox, an opaque origin), the archive's pages
``PAGE_CSP``; all responses carry nosniff, no-referrer and (unless ``--scripts`` needs otherwise,
see ``archive.replay.rendering``) ``Cross-Origin-Resource-Policy: same-origin`` (other sites
cannot probe the archive by embedding its URLs). Bound to loopback, the server refuses Host
headers that are not loopback names, so DNS rebinding cannot turn a web page into a reader of the
archive. Errors are one plain line saying what happened: 400 malformed (a bad timestamp says
so), 404 unknown, 500 internal (details go to the server's log).
"""

from __future__ import annotations

import ipaddress
import logging
import re
import socket
from collections.abc import Callable
from datetime import timezone
from email.utils import format_datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit

from archive.errors import ConfigError, PressclipsError, WarcError
from archive.replay.lookup import CaptureNotFound, Replayer, Resolved, dechunk
from archive.replay.pages import ArchivePages
from archive.replay.rendering import render
from archive.replay.reportpage import ReportPage
from archive.replay.responses import (
    ARCHIVED_CSP,
    COMMON_HEADERS,
    Response,
    error_response,
    replay_path,
)
from archive.replay.target import parse_timestamp, url_variants

log = logging.getLogger(__name__)

HOP_BY_HOP = frozenset({"connection", "keep-alive", "te", "trailer", "trailers", "transfer-encoding", "upgrade"})
PASS_HEADERS = frozenset({"content-type", "content-language", "content-disposition", "content-range",
                          "last-modified", "etag", "cache-control", "expires", "pragma", "age", "vary",
                          "x-frame-options"})
ORIG_PREFIX = "X-Archive-Orig-"
_REPLAY = re.compile(r"^/(\d{1,14})([a-z]{2}_)?/(.+)$", re.S)
_LATEST = re.compile(r"^/((?:https?:|https?%3[Aa]).+)$", re.S | re.I)
_BAD_TIMESTAMP = re.compile(r"^/([^/]*)/((?:https?:|https?%3[Aa]|//).*)$", re.S | re.I)
_BANNER_OFF = "banner=0"
_ENCODED_SCHEME = re.compile(r"^https?%3a", re.I)
_SLASHES = re.compile(r"^(https?):/+", re.I)
_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")


class ReplayApp:
    """Request target in, ``Response`` out: everything but the socket, so it is easy to test."""

    def __init__(self, replayer: Replayer, pages: Any | None = None, *, scripts: bool = False) -> None:
        self.replayer = replayer
        if pages is None:
            pages = ArchivePages(replayer.engine)
        self.pages = pages
        self.report_page = ReportPage(replayer.engine)
        self.scripts = scripts
        # path prefix -> handler(rest of the path, query string): the archive's own pages
        self.routes: dict[str, Callable[[str, str], Response]] = {"/article/": self._article,
                                                                 "/report": self._report}

    def handle(self, target: str) -> Response:
        try:
            return self._route(target)
        except CaptureNotFound as exc:
            return error_response(404, f"not found: {exc}")
        except ConfigError as exc:
            return error_response(400, f"bad request: {exc}")
        except WarcError as exc:
            log.error("replay of %s failed: %s", target, exc)
            return error_response(500, "internal error: the archived record could not be read")
        except PressclipsError as exc:
            log.error("replay of %s failed: %s", target, exc)
            return error_response(500, "internal error")

    def _route(self, target: str) -> Response:
        if not target.startswith("/") or any(not 0x21 <= ord(c) <= 0x7E for c in target):
            raise ConfigError("malformed request target")
        if m := _REPLAY.match(target):
            return self.replay(m.group(3), m.group(1), m.group(2) or "")
        if m := _LATEST.match(target):
            return self.replay(m.group(1), None, "")
        path, _, query = target.partition("?")
        try:
            path = unquote(path, errors="strict")
        except UnicodeDecodeError:
            raise ConfigError("the path is not valid UTF-8") from None
        if path == "/":
            return self.pages.index(query)
        for prefix, handler in self.routes.items():
            if path.startswith(prefix):
                return handler(path[len(prefix):], query)
        if path in ("/favicon.ico", "/robots.txt"):
            raise CaptureNotFound(path)
        if m := _BAD_TIMESTAMP.match(target):  # after the routes: their paths may hold URLs too
            raise ConfigError(f"malformed timestamp {m.group(1)[:40]!r}: expected 1-14 digits (YYYYMMDDhhmmss), "
                              "optionally followed by a modifier such as id_, e.g. /20260101/https://example.com/")
        raise ConfigError("not a replay URL; expected /<timestamp>/<url>, e.g. /20260101/https://example.com/, "
                          "or /article/<id>")

    def _report(self, rest: str, query: str) -> Response:
        if rest not in ("", "/"):
            raise CaptureNotFound(f"no page /report{rest[:40]}")
        return self.report_page.render(query)

    def _article(self, rest: str, query: str) -> Response:
        if not rest.isascii() or not rest.isdigit():
            raise ConfigError(f"not an article ID: {rest[:40]!r} (expected /article/<number>)")
        if len(rest) > 18:
            raise CaptureNotFound(f"no article {rest}")
        return self.pages.article(int(rest))

    def replay(self, url: str, timestamp: str | None, modifier: str) -> Response:
        if _ENCODED_SCHEME.match(url):
            url = unquote(url)
        url = _SLASHES.sub(lambda m: m.group(1).lower() + "://", url, count=1)
        url, banner = _banner_switch(url)
        url_variants(url)  # raises ConfigError for what cannot be a URL, before touching the database
        at = parse_timestamp(timestamp) if timestamp else None
        candidates = self.replayer.by_url(url, at)
        if not candidates:
            return self.pages.not_archived(url, at)
        resolved = self.replayer.resolve_first(candidates)
        return render(self.replayer.engine, resolved, capture_response(resolved, modifier), modifier=modifier,
                      banner=banner, scripts=self.scripts, requested=timestamp)


def _banner_switch(url: str) -> tuple[str, bool]:
    """``url`` without a ``banner=0`` query parameter, and whether the banner is shown."""
    base, sep, query = url.partition("?")
    params = query.split("&") if sep else []
    kept = [p for p in params if p != _BANNER_OFF]
    if len(kept) == len(params):
        return url, True
    return base + ("?" + "&".join(kept) if kept else ""), False


def capture_response(res: Resolved, modifier: str = "") -> Response:
    """The response for one resolved capture (see the module docstring)."""
    if not 200 <= res.status <= 599:
        return error_response(502, f"the archived response has an unusable status {res.status}")
    encoding = None
    try:
        body = res.body()
    except WarcError:  # an encoding we cannot decode: the stored bytes, labelled as they were
        stored = res.payload_record
        dechunked = dechunk(stored.payload) if _chunked(stored.http_headers) else None
        body = stored.payload if dechunked is None else dechunked
        encoding = stored.http_header("Content-Encoding")
    named = {t.strip().lower() for k, v in res.headers if k.lower() == "connection" for t in v.split(",")}
    headers: list[tuple[str, str]] = []
    for name, value in res.headers:
        lname = name.lower()
        if lname in HOP_BY_HOP or lname in named or lname.startswith("proxy-"):
            continue
        if not _TOKEN.fullmatch(name) or _CONTROL.search(value):
            continue  # not a header a client could parse: never forward it
        if lname in ("content-length", "content-encoding"):
            continue
        if lname == "location":
            rewritten = _rewrite_location(res.capture.url, value, res.capture.timestamp, modifier)
            if rewritten:
                headers.append(("Location", rewritten))
        headers.append((name if lname in PASS_HEADERS else ORIG_PREFIX + name, value))
    if encoding:
        headers.append(("Content-Encoding", encoding))
    when = res.capture.fetched_at.astimezone(timezone.utc)
    headers += [("Content-Security-Policy", ARCHIVED_CSP),
                ("Memento-Datetime", format_datetime(when, usegmt=True))]
    if res.status in (204, 304):
        body = b""
    return Response(res.status, body, headers, res.reason)


def _chunked(headers: list[tuple[str, str]]) -> bool:
    return any(k.lower() == "transfer-encoding" and "chunked" in v.lower() for k, v in headers)


def _rewrite_location(base: str, location: str, timestamp: str, modifier: str) -> str | None:
    try:
        target = urljoin(base, location.strip())
        scheme = urlsplit(target).scheme.lower()
    except ValueError:
        return None
    if scheme not in ("http", "https") or any(ord(c) < 0x21 or ord(c) > 0x7E for c in target):
        return None
    return replay_path(timestamp, target, modifier)


# -- HTTP plumbing -------------------------------------------------------------------------------
def is_loopback(host: str) -> bool:
    name = host.strip("[]").lower()
    if name in ("localhost", "localhost.", "ip6-localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


class ReplayServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self, host: str, port: int, app: ReplayApp) -> None:
        self.app = app
        self.loopback_only = is_loopback(host)
        self.address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
        super().__init__((host.strip("[]"), port), _Handler)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        host = host.decode() if isinstance(host, bytes) else host
        return f"http://[{host}]:{port}/" if ":" in str(host) else f"http://{host}:{port}/"

    def handle_error(self, request: Any, client_address: Any) -> None:
        log.debug("connection from %s ended with an error", client_address, exc_info=True)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "pressclips-replay"
    sys_version = ""
    timeout = 30  # idle keep-alive connections end on their own
    server: ReplayServer

    def do_GET(self) -> None:
        self._serve(head=False)

    def do_HEAD(self) -> None:
        self._serve(head=True)

    def version_string(self) -> str:
        return self.server_version

    def log_message(self, format: str, *args: Any) -> None:
        log.info("%s %s", self.address_string(), format % args)

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """http.server's own errors (bad request line, unknown method, huge headers) as one plain
        line too; the request line is not echoed back."""
        if self.request_version in ("HTTP/0.9", ""):
            self.request_version = "HTTP/1.0"  # always answer with a status line
        self.close_connection = True
        try:
            phrase = HTTPStatus(code).phrase
        except ValueError:
            phrase = "error"
        self.log_error("code %d, message %s", code, message)
        self._write(error_response(code, phrase.lower()), head=self.command == "HEAD")

    def _serve(self, head: bool) -> None:
        if self.request_version == "HTTP/0.9":
            self.send_error(400)
            return
        host = self.headers.get("Host")
        if self.request_version != "HTTP/1.0" and host is None:
            response = error_response(400, "bad request: no Host header")
        elif self.server.loopback_only and host is not None and not is_loopback(_host_name(host)):
            response = error_response(400, "bad request: this archive answers only to loopback host names")
        else:
            try:
                response = self.server.app.handle(self.path)
            except Exception:  # never a traceback to the client; the log keeps it
                log.exception("replay of %r failed", self.path)
                response = error_response(500, "internal error")
        if response.status == 400:
            self.close_connection = True  # after a malformed request, do not trust the stream
        self._write(response, head)

    def _write(self, response: Response, head: bool) -> None:
        reason = response.reason if response.reason is not None else _phrase(response.status)
        reason = "".join(c for c in reason if 0x20 <= ord(c) <= 0x7E or 0xA0 <= ord(c) <= 0xFF)[:100]
        try:
            self.send_response(response.status, reason)
            own = {name.lower() for name, _ in response.headers}
            common = [(name, value) for name, value in COMMON_HEADERS if name.lower() not in own]
            for name, value in [*response.headers, *common]:
                self.send_header(name, value)
            if response.status not in (204, 304):
                self.send_header("Content-Length", str(len(response.body)))
            if self.close_connection:
                self.send_header("Connection", "close")
            self.end_headers()
            if not head and response.body:
                self.wfile.write(response.body)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def _host_name(host: str) -> str:
    host = host.strip()
    if host.startswith("["):
        return host[1:host.find("]")] if "]" in host else host
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def make_server(replayer: Replayer, host: str = "127.0.0.1", port: int = 8080, *,
                scripts: bool = False) -> ReplayServer:
    """Bind (port 0 = any free port); call ``serve_forever`` on the result. ``scripts``: archived
    scripts run, sandboxed in an opaque-origin iframe (``pressclips replay serve --scripts``)."""
    return ReplayServer(host, port, ReplayApp(replayer, scripts=scripts))
