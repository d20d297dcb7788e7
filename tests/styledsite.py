"""A local news site styled the way real ones are, for the replay and screenshot tests.

Real-world asset patterns on purpose: a protocol-relative stylesheet (``//host/static/css/site.css``)
that pulls two more with ``@import`` (``url()`` and bare string forms), a web font (a woff2
subset of Debian's DejaVu Serif, made with fontTools, and the TTF as fallback), CSS background
images (one relative ``../img/``, one root-relative), an absolute same-host ``<img>`` with a
``srcset``, a lazy image whose ``src`` is a placeholder GIF and whose ``data-src``/``data-srcset``
an inline script swaps in, an inline ``style`` background, and a favicon. Pages are real articles
(JSON-LD, byline, several paragraphs) so the crawler archives them as such; robots.txt and a
sitemap let it find them.

``StyledSite`` serves it on 127.0.0.1 (port 0); ``build_archive`` fetches every page and requisite
from it over real HTTP and writes them, as a crawl with page requisites would, into WARC records
(``WarcWriter``) and capture rows (``Store``; requisites with ``kind = asset``).
"""

from __future__ import annotations

import io
import threading
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from archive.db.engine import make_engine
from archive.db.kinds import CaptureKind
from archive.db.store import CaptureRecord, PageResult, Store
from archive.warc.reader import WarcPointer
from archive.warc.writer import HttpExchange, WarcWriter
from tests.archivekit import article as extraction
from tests.backends import archive_url

OUTLET = "styled"
ARTICLE_PATH = "/news/2026/11/01/"  # dated article URLs, as news sites have (the crawler's URL hint)
FONT_FILE = Path("/usr/share/fonts/truetype/dejavu/DejaVuSerif-Bold.ttf")
ARTICLES = {
    "harbour-festival": ("Harbour festival returns with a record line-up",
                         "The harbour festival opens on Friday with more stages than ever before."),
    "city-orchestra": ("City orchestra names a new principal conductor",
                       "After a two-year search the orchestra announced its choice on Monday."),
}
PARAGRAPH = ("Organisers said the programme had been planned over eighteen months, with acts chosen from "
             "more than four hundred applications and a budget that the council approved in the spring. ")


def _png(colour: tuple[int, int, int], size: tuple[int, int], stripe: tuple[int, int, int] | None = None) -> bytes:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", size, colour)
    if stripe:
        draw = ImageDraw.Draw(image)
        for x in range(0, size[0], 24):
            draw.rectangle([x, 0, x + 11, size[1]], fill=stripe)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


@cache
def _woff2() -> bytes:
    """DejaVu Serif Bold cut to ASCII and compressed as woff2 (a few KB, like a real subset web font)."""
    from fontTools import subset

    options = subset.Options()
    options.flavor = "woff2"
    font = subset.load_font(str(FONT_FILE), options)
    subsetter = subset.Subsetter(options)
    subsetter.populate(text="".join(chr(c) for c in range(32, 127)))
    subsetter.subset(font)
    out = io.BytesIO()
    subset.save_font(font, out, options)
    return out.getvalue()


GIF_1X1 = bytes.fromhex("47494638396101000100800000ffffff00000021f90401000000002c00000000010001000002024401003b")


def static_files() -> dict[str, tuple[str, bytes]]:
    """Path -> (Content-Type, body) of every requisite."""
    site_css = """@import url("parts/fonts.css");
@import 'parts/layout.css';
body { margin: 0; background: #f4efe6 url("../img/paper.png") repeat; color: #1d1d1d;
       font: 18px/1.5 "Press Serif", serif; }
.masthead { height: 96px; background: #123a5a url(/static/img/masthead.png) no-repeat 20px center; }
.masthead a { color: #ffd866; font: 40px/96px "Press Serif", serif; margin-left: 160px; text-decoration: none; }
"""
    fonts_css = """@font-face { font-family: "Press Serif"; font-weight: normal;
  src: url(\"../../fonts/press-serif.woff2\") format("woff2"), url(../../fonts/press-serif.ttf) format("truetype"); }
"""
    layout_css = """main { width: 900px; margin: 24px auto; padding: 24px; background: #fffdf8; }
h1 { font-size: 34px; line-height: 1.2; color: #7a1f1f; }
.hero { display: block; width: 600px; height: 240px; }
.lazy { display: block; width: 300px; height: 120px; margin: 16px 0; }
.badge { width: 120px; height: 40px; background-repeat: no-repeat; }
"""
    return {
        "/static/css/site.css": ("text/css; charset=utf-8", site_css.encode()),
        "/static/css/parts/fonts.css": ("text/css", fonts_css.encode()),
        "/static/css/parts/layout.css": ("text/css", layout_css.encode()),
        "/static/fonts/press-serif.woff2": ("font/woff2", _woff2()),
        "/static/fonts/press-serif.ttf": ("font/ttf", FONT_FILE.read_bytes()),
        "/static/img/paper.png": ("image/png", _png((238, 228, 210), (48, 48), (230, 218, 196))),
        "/static/img/masthead.png": ("image/png", _png((240, 120, 40), (120, 64))),
        "/static/img/hero.png": ("image/png", _png((40, 110, 170), (600, 240), (60, 150, 90))),
        "/static/img/hero@2x.png": ("image/png", _png((40, 110, 170), (1200, 480), (60, 150, 90))),
        "/static/img/lazy.png": ("image/png", _png((150, 40, 140), (300, 120), (250, 200, 60))),
        "/static/img/lazy@2x.png": ("image/png", _png((150, 40, 140), (600, 240), (250, 200, 60))),
        "/static/img/badge.png": ("image/png", _png((20, 140, 60), (120, 40))),
        "/static/img/blank.gif": ("image/gif", GIF_1X1),
        "/favicon.ico": ("image/png", _png((18, 58, 90), (16, 16))),
    }


def _article_html(origin: str, slug: str) -> str:
    title, lead = ARTICLES[slug]
    host = origin.split("://", 1)[1]
    body = "".join(f"<p>{lead if i == 0 else PARAGRAPH * 2}</p>" for i in range(4))
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title} | The Styled Times</title>
<link rel="stylesheet" href="//{host}/static/css/site.css">
<link rel="icon" href="/favicon.ico">
<meta property="og:image" content="{origin}/static/img/hero.png">
<script type="application/ld+json">{{"@context": "https://schema.org", "@type": "NewsArticle",
 "headline": "{title}", "datePublished": "2026-11-01T09:30:00+00:00", "author": {{"@type": "Person",
 "name": "Ann Writer"}}}}</script>
</head><body>
<header class="masthead"><a href="/">The Styled Times</a></header>
<main><article><h1>{title}</h1><p class="byline">By Ann Writer, 1 November 2026</p>
<img class="hero" src="{origin}/static/img/hero.png" srcset="/static/img/hero.png 1x, /static/img/hero@2x.png 2x"
 alt="hero">
{body}
<img class="lazy" src="/static/img/blank.gif" data-src="/static/img/lazy.png"
 data-srcset="/static/img/lazy.png 1x, /static/img/lazy@2x.png 2x" alt="lazy">
<div class="badge" style="background-image: url('/static/img/badge.png')"></div>
</article></main>
<script>document.querySelectorAll("img[data-src]").forEach(function (img) {{
  img.srcset = img.dataset.srcset; img.src = img.dataset.src; }});</script>
</body></html>"""


def _home_html(slugs: list[str]) -> str:
    links = "".join(f'<li><a href="{ARTICLE_PATH}{s}/">{ARTICLES[s][0]}</a></li>' for s in slugs)
    return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>The Styled Times</title>'
            f'<link rel="stylesheet" href="/static/css/site.css"></head><body>'
            f'<header class="masthead"><a href="/">The Styled Times</a></header><main><ul>{links}</ul></main>'
            "</body></html>")


class StyledSite:
    """The styled site on 127.0.0.1 (port 0). ``pages`` are the article URLs, ``requisites`` what they load."""

    def __init__(self) -> None:
        self.files = static_files()
        self.requests: list[str] = []  # every path asked for, in order (replay must add none)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.site = self  # type: ignore[attr-defined]
        self.origin = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)

    def __enter__(self) -> StyledSite:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    @property
    def pages(self) -> list[str]:
        return [f"{self.origin}{ARTICLE_PATH}{slug}/" for slug in ARTICLES]

    @property
    def requisites(self) -> list[str]:
        return [self.origin + path for path in self.files]

    def outlets_toml(self) -> str:
        return f'[[outlets]]\nname = "{OUTLET}"\nhomepage = "{self.origin}/"\n'

    def route(self, path: str) -> tuple[int, str, bytes]:
        if path in self.files:
            return (200, *self.files[path])
        if path == "/":
            return 200, "text/html; charset=utf-8", _home_html(list(ARTICLES)).encode()
        if path.startswith(ARTICLE_PATH) and path.strip("/").split("/")[-1] in ARTICLES:
            return 200, "text/html; charset=utf-8", _article_html(self.origin, path.strip("/").split("/")[-1]).encode()
        if path == "/robots.txt":
            return 200, "text/plain", f"User-agent: *\nAllow: /\nSitemap: {self.origin}/sitemap.xml\n".encode()
        if path == "/sitemap.xml":
            urls = "".join(f"<url><loc>{u}</loc><lastmod>2026-11-01</lastmod></url>" for u in self.pages)
            return 200, "application/xml", (
                '<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
                f"{urls}</urlset>").encode()
        return 404, "text/html", b"<html><body>not found</body></html>"


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        self.server.site.requests.append(self.path)  # type: ignore[attr-defined]
        status, content_type, body = self.server.site.route(self.path.split("?", 1)[0])  # type: ignore[attr-defined]
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "max-age=3600")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


# -- an archive of the site, written as a crawl with page requisites would ------------------------
@dataclass
class StyledArchive:
    root: Path
    database_url: str
    captured: dict[str, datetime] = field(default_factory=dict)  # page URL -> capture time


def _fetch(url: str) -> tuple[int, list[tuple[str, str]], bytes]:
    with urllib.request.urlopen(url, timeout=30) as response:  # 127.0.0.1 only: the test's own site
        return response.status, list(response.headers.items()), response.read()


def build_archive(site: StyledSite, root: Path, when: datetime | None = None,
                  database_url: str | None = None) -> StyledArchive:
    """Fetch the pages and every requisite from ``site`` and archive them under ``root``: pages as
    articles, requisites as ``asset`` captures a few seconds after their page. Also an older
    version of ``site.css`` (a week earlier, other colours) that replay must not pick, and a
    revisit of ``hero.png`` (same payload) that it resolves."""
    at = when or datetime.now(UTC).replace(microsecond=0)
    root.mkdir(parents=True, exist_ok=True)
    database_url = database_url or archive_url(root)
    (root / "warcs").mkdir(exist_ok=True)
    engine = make_engine(database_url)
    store = Store(engine)
    store.ensure_outlets([(OUTLET, site.origin + "/", ["127.0.0.1"])])
    archive = StyledArchive(root, database_url)

    def save(writer: WarcWriter, url: str, fetched_at: datetime, kind: CaptureKind,
             response: tuple[int, list[tuple[str, str]], bytes] | None = None) -> WarcPointer:
        status, headers, body = response or _fetch(url)
        exchange = HttpExchange(url=url, method="GET", request_headers=[("User-Agent", "pressclips-test")],
                                status=status, reason="OK", http_version="HTTP/1.1", response_headers=headers,
                                body=body, fetched_at=fetched_at, ip_address="127.0.0.1")
        pointer = writer.write_exchange(exchange)
        mime = next((v.split(";")[0] for k, v in headers if k.lower() == "content-type"), None)
        store.add_capture(CaptureRecord(url=url, fetched_at=fetched_at, status=status, mime=mime, pointer=pointer,
                                        outlet=OUTLET, kind=kind))
        return pointer

    try:
        with WarcWriter(root / "warcs", prefix="styled") as writer:
            css = site.origin + "/static/css/site.css"
            old_css = (200, [("Content-Type", "text/css")], b"body { background: #000; color: #0f0; }")
            save(writer, css, at - timedelta(days=7), CaptureKind.ASSET, old_css)
            for i, page in enumerate(site.pages):
                page_at = at + timedelta(minutes=i)
                pointer = save(writer, page, page_at, CaptureKind.ARTICLE)
                title, lead = ARTICLES[page.rstrip("/").rsplit("/", 1)[1]]
                store.record_page(PageResult(outlet=OUTLET, warc_record_id=pointer.record_id, requested_url=page,
                                             final_url=page, fetched_at=page_at, status=200,
                                             extraction=extraction(lead + " " + PARAGRAPH * 8, title=title)))
                archive.captured[page] = page_at
            for j, url in enumerate(site.requisites):
                save(writer, url, at + timedelta(seconds=5 + j), CaptureKind.ASSET)
            hero = site.origin + "/static/img/hero.png"
            status, headers, body = _fetch(hero)
            revisit_at = at + timedelta(days=1)
            exchange = HttpExchange(url=hero, method="GET", request_headers=[], status=status, reason="OK",
                                    http_version="HTTP/1.1", response_headers=headers, body=body,
                                    fetched_at=revisit_at)
            original = save(writer, hero, at - timedelta(days=1), CaptureKind.ASSET)
            pointer = writer.write_revisit(exchange, refers_to=original, refers_to_uri=hero,
                                           refers_to_date=at - timedelta(days=1))
            store.add_capture(CaptureRecord(url=hero, fetched_at=revisit_at, status=status, mime="image/png",
                                            pointer=pointer, outlet=OUTLET, kind=CaptureKind.REVISIT))
    finally:
        engine.dispose()
    return archive
