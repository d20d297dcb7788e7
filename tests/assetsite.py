"""A local news site whose article pages share their requisites, the way real outlets' pages do.

Every article page uses: an external stylesheet that ``@import``s another, which loads a web font
and a background image; a ``<style>`` block and an inline ``style`` with ``url()``; an ``<img>``
with a ``srcset``, a ``<picture>``, a lazy ``data-src`` image; a protocol-relative and an absolute
same-host URL; a favicon and an ``og:image``; a script and an image from a CDN on another port;
a 1×1 tracker pixel and a Google Tag Manager script (never to be fetched); and an image under a
path robots.txt disallows. Pages carry no validators (a re-fetch is a 200 with the same body);
requisites have an ETag and Last-Modified and answer conditional requests with 304.

One ``AssetSite`` serves several outlets (one port each, the same pages) and one CDN port, and
counts every request per port and path, and the conditional ones apart. ``bump()`` moves the
sitemap's ``lastmod`` forward, so the next crawl fetches every page again.
"""

from __future__ import annotations

import hashlib
import random
import threading
from collections import Counter
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ROBOTS_DISALLOWED = "/private/secret.png"
TRACKER_PIXEL = "/pixel.gif"
# Requisites every page of an outlet uses, on the outlet's own host.
SHARED_ASSETS = ("/static/site.css", "/static/base.css", "/fonts/body.woff2", "/img/bg.png", "/img/hero.png",
                 "/img/hero-bg.png", "/favicon.ico", "/static/app.js", "/img/small.jpg", "/img/large.jpg",
                 "/img/pic-1600.webp", "/img/pic.jpg", "/img/logo.png", "/img/inline.png")
CDN_ASSETS = ("/cdn/lib.js", "/cdn/hero.jpg")
_LAST_MODIFIED = format_datetime(datetime(2026, 1, 2, tzinfo=timezone.utc), usegmt=True)
_PARAGRAPH = ("The festival jury praised the film's patient camera and its lead performance, calling it the "
              "most confident debut of the year. Distributors lined up after the premiere, and the studio "
              "confirmed a release in the spring with a wider rollout planned for the summer season.")


def page_assets(index: int) -> tuple[str, ...]:
    """The own-host requisites page ``index`` uses: the shared ones plus its og:image and lazy image."""
    return (*SHARED_ASSETS, f"/img/og-{index % 2}.jpg", f"/img/lazy-{index % 3}.jpg")


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, site: AssetSite, name: str) -> None:
        self.site = site
        self.name = name
        super().__init__(("127.0.0.1", 0), _Handler)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        site, name = self.server.site, self.server.name
        path = self.path.split("?")[0]
        conditional = bool(self.headers.get("If-None-Match") or self.headers.get("If-Modified-Since"))
        site.record(name, path, conditional)
        found = site.resource(self.server, path)
        if found is None:
            self._send(404, b"not found", "text/plain")
            return
        body, ctype, validators = found
        if validators:
            etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
            if self.headers.get("If-None-Match") == etag or (
                    not self.headers.get("If-None-Match") and self.headers.get("If-Modified-Since") == _LAST_MODIFIED):
                self._send(304, b"", None, [("ETag", etag), ("Last-Modified", _LAST_MODIFIED)])
                return
            self._send(200, body, ctype, [("ETag", etag), ("Last-Modified", _LAST_MODIFIED)])
        else:
            self._send(200, body, ctype)

    def _send(self, status: int, body: bytes, ctype: str | None, headers: list[tuple[str, str]] = ()) -> None:
        self.send_response(status)
        if ctype:
            self.send_header("Content-Type", ctype)
        for key, value in headers:
            self.send_header(key, value)
        if status != 304:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if status != 304:
            self.wfile.write(body)


class AssetSite:
    def __init__(self, outlets: tuple[str, ...] = ("styled",), pages: int = 6, *, padding: int = 0) -> None:
        self.pages = pages
        self.padding = padding  # extra bytes in each requisite (benchmarks)
        self.requests: Counter[tuple[str, str]] = Counter()
        self.conditional: Counter[tuple[str, str]] = Counter()
        self._lock = threading.Lock()
        self.lastmod = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(days=1)
        self.servers = {name: _Server(self, name) for name in (*outlets, "cdn")}
        self._threads: list[threading.Thread] = []

    def start(self) -> AssetSite:
        for server in self.servers.values():
            thread = threading.Thread(target=server.serve_forever, daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def stop(self) -> None:
        for server in self.servers.values():
            server.shutdown()
            server.server_close()

    def __enter__(self) -> AssetSite:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def url(self, name: str) -> str:
        return self.servers[name].base_url

    def bump(self) -> None:
        """Date every page later in the sitemap: the next crawl fetches them all again."""
        self.lastmod += timedelta(hours=1)

    def record(self, name: str, path: str, conditional: bool) -> None:
        with self._lock:
            self.requests[(name, path)] += 1
            if conditional:
                self.conditional[(name, path)] += 1

    def paths(self, name: str) -> Counter[str]:
        with self._lock:
            return Counter({path: n for (server, path), n in self.requests.items() if server == name})

    def outlets_toml(self, extra: dict[str, str] | None = None) -> str:
        blocks = []
        for name, server in self.servers.items():
            if name != "cdn":
                more = (extra or {}).get(name, "")
                blocks.append(f'[[outlets]]\nname = "{name}"\nhomepage = "{server.base_url}/"\n{more}\n')
        return "\n".join(blocks)

    # -- content -----------------------------------------------------------------------------------
    def resource(self, server: _Server, path: str) -> tuple[bytes, str, bool] | None:
        base, cdn = server.base_url, self.url("cdn")
        host = base.split("://", 1)[1]
        if server.name == "cdn":
            return (b"/* cdn */" + b" " * self.padding, "application/javascript", True) if path in CDN_ASSETS else \
                (b"User-agent: *\nAllow: /\n", "text/plain", False) if path == "/robots.txt" else None
        if path == "/robots.txt":
            return (f"User-agent: *\nDisallow: /private/\nSitemap: {base}/sitemap.xml\n".encode(), "text/plain", False)
        if path == "/sitemap.xml":
            stamp = self.lastmod.isoformat()
            urls = "".join(f"<url><loc>{base}/news/story-{i}.html</loc><lastmod>{stamp}</lastmod></url>"
                           for i in range(self.pages))
            xml = f'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'
            return xml.encode(), "application/xml", False
        if path == "/":
            links = "".join(f'<li><a href="/news/story-{i}.html">Story {i}</a></li>' for i in range(self.pages))
            return f"<html><head><title>Home</title></head><body><ul>{links}</ul></body></html>".encode(), \
                "text/html; charset=utf-8", False
        if path.startswith("/news/story-") and path.endswith(".html"):
            index = int(path[len("/news/story-"):-len(".html")])
            return (self._article(index, host, cdn).encode() if 0 <= index < self.pages else b""), \
                "text/html; charset=utf-8", False
        if path == "/static/site.css":
            return b'@import url("/static/base.css");\n.hero { background: url(../img/hero.png) no-repeat; }\n' \
                + b"/*" + b" " * self.padding + b"*/", "text/css", True
        if path == "/static/base.css":
            return (b'@font-face { font-family: Body; src: url("/fonts/body.woff2") format("woff2"); }\n'
                    b"body { font-family: Body, serif; background: url('/img/bg.png'); }\n", "text/css", True)
        if path in SHARED_ASSETS or path.startswith(("/img/", "/private/")) or path == TRACKER_PIXEL:
            ctype = {"js": "application/javascript", "ico": "image/x-icon", "woff2": "font/woff2",
                     "webp": "image/webp", "png": "image/png", "gif": "image/gif"}.get(path.rsplit(".", 1)[-1],
                                                                                   "image/jpeg")
            # Padding as incompressible as real images and fonts (benchmarks count archived bytes).
            return f"asset {path}".encode() + random.Random(path).randbytes(self.padding), ctype, True
        return None

    def _article(self, index: int, host: str, cdn: str) -> str:
        paragraphs = "".join(f"<p>{_PARAGRAPH} Story {index}, part {n}.</p>" for n in range(6))
        return f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<title>Festival story {index}</title>
<link rel="stylesheet" href="/static/site.css">
<link rel="shortcut icon" href="/favicon.ico">
<meta property="og:image" content="/img/og-{index % 2}.jpg">
<script src="//{host}/static/app.js"></script>
<script src="{cdn}/cdn/lib.js"></script>
<script async src="https://www.googletagmanager.com/gtm.js?id=GTM-TEST"></script>
<style>.hero {{ background-image: url("/img/hero-bg.png"); }}</style>
</head><body><article><h1>Festival story {index}</h1>
<p class="byline">By Jane Critic</p>
<img src="/img/small.jpg" srcset="/img/small.jpg 480w, /img/large.jpg 1200w" alt="poster">
<picture><source srcset="/img/pic-800.webp 800w, /img/pic-1600.webp 1600w"><img src="/img/pic.jpg" alt=""></picture>
<img class="lazy" data-src="/img/lazy-{index % 3}.jpg" src="data:image/gif;base64,R0lGODlhAQABAAAAACw=" alt="">
<img src="http://{host}/img/logo.png" alt="logo">
<div class="hero" style="background-image: url('/img/inline.png')"></div>
<img src="{ROBOTS_DISALLOWED}" alt="">
<img src="{TRACKER_PIXEL}?page={index}" width="1" height="1" alt="">
<img src="{cdn}/cdn/hero.jpg" alt="">
{paragraphs}
</article></body></html>"""
