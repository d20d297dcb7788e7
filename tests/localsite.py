"""A real multi-outlet news site on 127.0.0.1, built from the saved corpus pages.

This module owns the local test site that crawler end-to-end tests, benchmarks and
``pressclips demo`` crawl: one stdlib ``ThreadingHTTPServer`` per outlet, each on its own
loopback port, serving real article pages from ``tests/data/corpus`` (bytes unchanged except
for the canonical link) surrounded by the usual news-site furniture: robots.txt, sitemap
index (one gzipped child, one plain), Google News sitemap, RSS and Atom feeds, paginated
section pages, tag/author pages, an endless calendar, faceted URLs, AMP copies, tracking
and fragment URL variants, a robots-disallowed area, a PDF and an image.

Run it by hand with ``python -m tests.localsite --outlets 2 --port 0``.

Article bytes: the corpus page exactly, except that every ``<link rel=canonical|amphtml>`` and
``<meta>`` naming ``og:url``/``twitter:url``/``*canonical``/``amphtml`` (all pointing at the
original host) is removed and ``<link rel="canonical" href="<local URL>">`` (plus
``rel="amphtml"`` for the AMP articles) is inserted right after ``<head>``.  The charset is
the one the page's meta declares (``Content-Type: text/html`` alone when it declares none).
JSON-LD and body links still name the original host, as on a real copied page; relative
links inside article bodies point nowhere on this site and get 404.

URL map per outlet: ``/`` (two Set-Cookie headers) · ``/robots.txt`` · ``/sitemap_index.xml``
→ ``/sitemap-articles-1.xml.gz`` (``application/x-gzip``, no Content-Encoding) and
``/sitemap-articles-2.xml`` · ``/news-sitemap.xml`` · ``/feed.rss`` · ``/feed.atom`` ·
``/section/news/``, ``/section/news/page/N/``, ``/section/news/?sort=..&filter=..`` ·
``/tag/<tag>/`` · ``/author/<name>/`` · ``/calendar/YYYY/MM/`` (prev/next forever) ·
``/news/YYYY/MM/DD/<slug>/`` (also served without the trailing slash and with any query;
``.../amp/`` for two articles) · ``PRIVATE_PATHS`` (robots-disallowed, served and logged if
asked) · ``/media/press-kit.pdf`` · ``/media/poster.jpg`` · anything else 404.  Link variants:
the homepage cycles ``?utm_source=twitter&utm_medium=social``, ``#comments`` and the plain
path; tag pages drop the trailing slash; author pages add ``#comments``; calendar pages add
the utm parameters; section pages also link the AMP URLs.

Discovery split (per outlet; articles ordered newest first, index 0 = newest):

    =====================  ======================================================
    articles               ``SiteArticle.discoverable_via``
    =====================  ======================================================
    newest ``front``       {links, sitemap, news_sitemap, rss, atom}: homepage,
    (``min(5, n-5)``)      section, sitemaps, news sitemap, both feeds
    the rest, cycling:     {links}           listing pages only (section/tag/author/calendar)
                           {sitemap}         a regular sitemap only
                           {rss}             RSS feed only
                           {atom}            Atom feed only
                           {links, sitemap, rss, atom}
    added by add_article   all five channels
    =====================  ======================================================

An article is never linked from any HTML page unless ``"links"`` is in its set, so a crawler
that skips one discovery path misses the articles that only that path announces.

Transfer details per article (``SiteArticle.index``): even index → gzip ``Content-Encoding``
when the request accepts gzip; index divisible by 3 → ``Transfer-Encoding: chunked`` with
hand-written framing.  ``LocalSite.last_body_sent`` (by absolute URL) and
``OutletSite.last_body_sent`` (by path incl. query) keep the last entity body exactly as sent
(gzip bytes when gzipped, the de-chunked payload when chunked); ``SiteArticle.last_sent_gzip``
and ``last_sent_chunked`` say how the article went out last time.

``max_in_flight`` counts a request from the moment its request line is parsed until its
response starts being written (``article_delay`` seconds of sleep sit inside that window).

Mutation API for incremental-crawl tests: ``add_article`` (takes an unused corpus page; by
default ``reserve=3`` pages are held back for it), ``edit_article`` (adds a paragraph after the first paragraph of the article text, moves
Last-Modified forward one hour, changes the ETag), ``delete_article`` (410 Gone from then on).
"""

from __future__ import annotations

import argparse
import codecs
import gzip
import hashlib
import html
import json
import random
import re
import signal
import socket
import string
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit
from xml.sax.saxutils import escape as xml_escape

CORPUS_DIR = Path(__file__).resolve().parent / "data" / "corpus"

CHANNELS = frozenset({"links", "sitemap", "news_sitemap", "rss", "atom"})
# The rotation applied to non-front articles; see the module docstring.
_CYCLE: tuple[frozenset[str], ...] = (
    frozenset({"links"}),
    frozenset({"sitemap"}),
    frozenset({"rss"}),
    frozenset({"atom"}),
    frozenset({"links", "sitemap", "rss", "atom"}),
)
TAGS = ("celebrity", "music", "film", "tv", "politics", "style")
SECTION_PAGE_SIZE = 4
AMP_ARTICLES = 2
PRIVATE_PATHS = ("/private/secret-story/", "/private/news/2016/12/01/secret-story/")
_UTM = "?utm_source=twitter&utm_medium=social"


@dataclass
class RequestLogEntry:
    outlet: str
    method: str
    path: str  # request target including the query string
    headers: dict[str, str]
    status: int
    time: float
    content_encoding: str | None = None
    chunked: bool = False


@dataclass(eq=False)
class SiteArticle:
    outlet: str
    path: str  # /news/YYYY/MM/DD/<slug>/
    title: str
    published: datetime  # timezone-aware
    corpus_slug: str
    expected: dict
    canonical_url: str = ""  # set by LocalSite.start() once the port is known
    index: int = 0
    discoverable_via: set[str] = field(default_factory=set)
    tags: list[str] = field(default_factory=list)
    authors: list[str] = field(default_factory=list)
    last_modified: datetime | None = None
    amp_path: str | None = None
    deleted: bool = False
    edits: list[str] = field(default_factory=list)
    last_sent_gzip: bool | None = None
    last_sent_chunked: bool | None = None
    charset: str | None = None
    source: bytes = field(default=b"", repr=False)
    body: bytes = field(default=b"", repr=False)  # identity body currently served
    amp_body: bytes = field(default=b"", repr=False)

    @property
    def gzip_eligible(self) -> bool:
        return self.index % 2 == 0

    @property
    def chunked(self) -> bool:
        return self.index % 3 == 0

    @property
    def content_type(self) -> str:
        return f"text/html; charset={self.charset}" if self.charset else "text/html"

    @property
    def etag(self) -> str:
        return hashlib.sha1(self.body).hexdigest()[:20]


@dataclass(eq=False)
class OutletSite:
    name: str
    articles: list[SiteArticle] = field(default_factory=list)
    base_url: str = ""
    host: str = ""
    last_body_sent: dict[str, bytes] = field(default_factory=dict)  # by path incl. query

    @property
    def display_name(self) -> str:
        return self.name.replace("-", " ").title()

    def article(self, path: str) -> SiteArticle:
        for art in self.articles:
            if art.path == path:
                return art
        raise KeyError(f"{self.name} has no article at {path}")

    def live(self, channel: str | None = None) -> list[SiteArticle]:
        """Not-deleted articles (announced on ``channel`` if given), newest first."""
        arts = [a for a in self.articles if not a.deleted]
        if channel is not None:
            arts = [a for a in arts if channel in a.discoverable_via]
        return sorted(arts, key=lambda a: (a.published, a.index), reverse=True)


@dataclass
class _Page:
    status: int
    body: bytes
    content_type: str
    headers: list[tuple[str, str]] = field(default_factory=list)
    article: SiteArticle | None = None
    amp: bool = False


# ---------------------------------------------------------------- article bytes

_LINK_TAG = re.compile(rb"<link\b[^>]*>", re.I)
_META_TAG = re.compile(rb"<meta\b[^>]*>", re.I)
_CANON_LINK = re.compile(rb"""\brel\s*=\s*["']?[^"'>]*\b(?:canonical|amphtml)\b""", re.I)
_CANON_META = re.compile(
    rb"""\b(?:property|name)\s*=\s*["']?(?:og:url|twitter:url|[\w:.-]*canonical|amphtml)["'\s/>]""",
    re.I,
)
_HEAD_OPEN = re.compile(rb"<head(?:\s[^>]*)?>", re.I)
_CHARSET = re.compile(rb"""<meta\b[^>]*?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
_PARA = re.compile(rb"<p\b[^>]*>(.*?)</p\s*>", re.I | re.S)
_TAGS_RE = re.compile(r"<[^>]+>")


def find_charset(source: bytes) -> str | None:
    """The charset declared in the page's meta tags, if it names a real codec."""
    match = _CHARSET.search(source[:65536])
    if not match:
        return None
    name = match.group(1).decode("ascii")
    try:
        codecs.lookup(name)
    except LookupError:
        return None
    return name


def rewrite_article(source: bytes, canonical: str, amphtml: str | None = None) -> bytes:
    """Corpus bytes with the original host's canonical/og:url/amphtml tags replaced by ours."""

    def drop(pattern: re.Pattern[bytes]):
        return lambda m: b"" if pattern.search(m.group(0)) else m.group(0)

    out = _LINK_TAG.sub(drop(_CANON_LINK), source)
    out = _META_TAG.sub(drop(_CANON_META), out)
    inserted = f'\n<link rel="canonical" href="{html.escape(canonical)}">'
    if amphtml:
        inserted += f'\n<link rel="amphtml" href="{html.escape(amphtml)}">'
    head = _HEAD_OPEN.search(out)
    at = head.end() if head else 0
    return out[:at] + inserted.encode("ascii") + out[at:]


def insert_paragraphs(source: bytes, charset: str | None, body_text: str, paras: list[str]) -> bytes:
    """Insert ``paras`` after the first real paragraph of the article text (so extractors see them)."""
    if not paras:
        return source
    enc = charset or "utf-8"
    snippet = "".join(f"\n<p>{html.escape(p)}</p>" for p in paras).encode(enc, "xmlcharrefreplace")
    body_norm = " ".join(body_text.split())
    probe = body_norm[:40]
    longest: tuple[int, int] = (0, -1)  # (text length, end offset)
    for match in _PARA.finditer(source):
        text = html.unescape(_TAGS_RE.sub("", match.group(1).decode(enc, "replace")))
        text = " ".join(text.split())
        # The corpus gives either the whole text or only its first words: match either way.
        if probe and ((len(text) >= 40 and text[:40] in body_norm) or probe in text):
            return source[: match.end()] + snippet + source[match.end() :]
        longest = max(longest, (len(text), match.end()))
    if longest[0] >= 80:  # no known text found: the longest paragraph is article text
        return source[: longest[1]] + snippet + source[longest[1] :]
    for closer in (b"</article>", b"</body>"):
        at = source.lower().find(closer)
        if at >= 0:
            return source[:at] + snippet + source[at:]
    return source + snippet


_STRIP_FOR_AMP = re.compile(rb"<(script|style|noscript|iframe)\b.*?</\1\s*>", re.I | re.S)
_HTML_OPEN = re.compile(rb"<html\b", re.I)


def amp_copy(source: bytes, canonical: str) -> bytes:
    """A stripped copy of the page: no scripts/styles, ``<html amp>``, canonical → article."""
    out = _STRIP_FOR_AMP.sub(b"", rewrite_article(source, canonical))
    match = _HTML_OPEN.search(out)
    if match:
        return out[: match.end()] + b" amp" + out[match.end() :]
    return b"<html amp>" + out


# ---------------------------------------------------------------- other documents


def _slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "x"


def _w3c(dt: datetime) -> str:
    return dt.isoformat(timespec="seconds")


def _http_date(dt: datetime) -> str:
    return format_datetime(dt.astimezone(timezone.utc), usegmt=True)


def _parse_date(value: object, fallback: datetime) -> datetime:
    if not isinstance(value, str) or not value:
        return fallback
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return fallback
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def _html_page(outlet: OutletSite, title: str, main: str, *, nav_extra: str = "") -> bytes:
    newest = outlet.live()
    cal = f"/calendar/{newest[0].published:%Y/%m}/" if newest else "/calendar/2016/12/"
    tags = " ".join(f'<a href="/tag/{t}/">{t.title()}</a>' for t in TAGS)
    name = html.escape(outlet.display_name)
    page = f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{html.escape(title)} | {name}</title>
<link rel="alternate" type="application/rss+xml" title="{name} RSS" href="/feed.rss">
<link rel="alternate" type="application/atom+xml" title="{name} Atom" href="/feed.atom">
</head>
<body>
<header><a class="logo" href="/">{name}</a>
<nav><a href="/">Home</a> <a href="/section/news/">News</a> {tags} <a href="{cal}">Archive</a>{nav_extra}</nav>
</header>
<main>
<h1>{html.escape(title)}</h1>
{main}
</main>
<footer><p>&copy; {name}. Local test site for pressclips.</p></footer>
</body>
</html>
"""
    return page.encode("utf-8")


def _headline(art: SiteArticle, href: str) -> str:
    authors = ", ".join(
        f'<a rel="author" href="/author/{_slugify(a)}/">{html.escape(a)}</a>' for a in art.authors
    )
    return (
        f'<li class="headline"><a href="{html.escape(href)}">{html.escape(art.title)}</a>'
        f' <time datetime="{_w3c(art.published)}">{art.published:%d %b %Y}</time>'
        f' <span class="byline">by {authors}</span></li>'
    )


def _headlines(items: list[tuple[SiteArticle, str]]) -> str:
    if not items:
        return '<p class="empty">No stories yet.</p>'
    return '<ul class="headlines">\n' + "\n".join(_headline(a, h) for a, h in items) + "\n</ul>"


def _urlset(outlet: OutletSite, arts: list[SiteArticle]) -> bytes:
    rows = "".join(
        f"<url><loc>{xml_escape(a.canonical_url)}</loc><lastmod>{_w3c(a.last_modified)}</lastmod></url>\n"
        for a in arts
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n' + rows + "</urlset>\n"
    ).encode("utf-8")


def _news_sitemap(outlet: OutletSite) -> bytes:
    rows = []
    for a in outlet.live("news_sitemap"):
        lang = a.expected.get("lang") or "en"
        rows.append(
            f"<url><loc>{xml_escape(a.canonical_url)}</loc><news:news><news:publication>"
            f"<news:name>{xml_escape(outlet.display_name)}</news:name>"
            f"<news:language>{xml_escape(lang)}</news:language></news:publication>"
            f"<news:publication_date>{_w3c(a.published)}</news:publication_date>"
            f"<news:title>{xml_escape(a.title)}</news:title></news:news></url>\n"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'
        ' xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">\n'
        + "".join(rows)
        + "</urlset>\n"
    ).encode("utf-8")


def _rss(outlet: OutletSite) -> bytes:
    items = []
    for a in outlet.live("rss"):
        creators = "".join(f"<dc:creator>{xml_escape(n)}</dc:creator>" for n in a.authors)
        desc = a.expected.get("description") or a.expected.get("excerpt") or ""
        items.append(
            f"<item><title>{xml_escape(a.title)}</title><link>{xml_escape(a.canonical_url)}</link>"
            f'<guid isPermaLink="true">{xml_escape(a.canonical_url)}</guid>'
            f"<pubDate>{format_datetime(a.published)}</pubDate>{creators}"
            f"<description>{xml_escape(desc)}</description></item>\n"
        )
    name = xml_escape(outlet.display_name)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/">\n<channel>\n'
        f"<title>{name}</title><link>{outlet.base_url}/</link>"
        f"<description>Latest stories from {name}</description>\n" + "".join(items)
        + "</channel>\n</rss>\n"
    ).encode("utf-8")


def _atom(outlet: OutletSite) -> bytes:
    arts = outlet.live("atom")
    updated = max((a.last_modified for a in arts), default=datetime(2016, 1, 1, tzinfo=timezone.utc))
    entries = []
    for a in arts:
        authors = "".join(f"<author><name>{xml_escape(n)}</name></author>" for n in a.authors)
        entries.append(
            f"<entry><title>{xml_escape(a.title)}</title>"
            f'<link rel="alternate" type="text/html" href="{xml_escape(a.path)}"/>'
            f"<id>{xml_escape(a.canonical_url)}</id><published>{_w3c(a.published)}</published>"
            f"<updated>{_w3c(a.last_modified)}</updated>{authors}</entry>\n"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">\n'
        f"<title>{xml_escape(outlet.display_name)}</title><id>{outlet.base_url}/</id>"
        f'<link rel="self" href="/feed.atom"/><link rel="alternate" href="/"/>'
        f"<updated>{_w3c(updated)}</updated>\n" + "".join(entries) + "</feed>\n"
    ).encode("utf-8")


def _pdf(title: str) -> bytes:
    """A small valid one-page PDF (correct xref offsets) so PDF handling sees real bytes."""
    text = title.replace("\\", "").replace("(", "").replace(")", "")
    stream = f"BT /F1 24 Tf 72 720 Td ({text}) Tj ET".encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, obj in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + obj + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % off for off in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def _jpeg() -> bytes:
    """A valid 8x8 grey baseline JPEG: one-symbol Huffman tables, one all-zero block."""
    seg = lambda marker, payload: b"\xff" + marker + (len(payload) + 2).to_bytes(2, "big") + payload
    one_code = bytes([1] + [0] * 15) + b"\x00"  # a single code of length 1 for symbol 0
    return (
        b"\xff\xd8"
        + seg(b"\xe0", b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00")
        + seg(b"\xfe", b"pressclips local site poster")
        + seg(b"\xdb", b"\x00" + bytes([1] * 64))
        + seg(b"\xc0", b"\x08\x00\x08\x00\x08\x01\x01\x11\x00")
        + seg(b"\xc4", b"\x00" + one_code)
        + seg(b"\xc4", b"\x10" + one_code)
        + seg(b"\xda", b"\x01\x01\x00\x00\x3f\x00")
        + b"\x3f"  # DC diff 0 ("0") + EOB ("0"), padded with 1 bits
        + b"\xff\xd9"
    )


def _accepts_gzip(value: str | None) -> bool:
    for part in (value or "").split(","):
        token, _, params = part.strip().partition(";")
        if token.strip().lower() in ("gzip", "x-gzip", "*"):
            q = params.strip().replace(" ", "")
            return q not in ("q=0", "q=0.0", "q=0.00", "q=0.000")
    return False


def _chunks(payload: bytes) -> bytes:
    """Hand-written chunked framing; uneven chunk sizes so parsers meet real boundaries."""
    sizes = (1000, 4096, 8192)
    out = bytearray()
    pos = i = 0
    while pos < len(payload):
        piece = payload[pos : pos + sizes[i % len(sizes)]]
        out += b"%x\r\n" % len(piece) + piece + b"\r\n"
        pos += len(piece)
        i += 1
    return bytes(out + b"0\r\n\r\n")


# ---------------------------------------------------------------- HTTP plumbing


class _OutletServer(ThreadingHTTPServer):
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
    server: _OutletServer

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
        self.wfile.write(_chunks(payload) if chunked else payload)

    def _negotiate(self, page: _Page) -> tuple[int, list[tuple[str, str]], bytes, str | None, bool]:
        headers = [("Content-Type", page.content_type), *page.headers]
        art = page.article
        if art is None or page.status != 200:
            headers.append(("Content-Length", str(len(page.body))))
            return page.status, headers, page.body, None, False
        etag = art.etag + ("-amp" if page.amp else "")
        last_modified = art.last_modified.replace(microsecond=0)
        use_gzip = art.gzip_eligible and _accepts_gzip(self.headers.get("Accept-Encoding"))
        tag = f'"{etag}-gzip"' if use_gzip else f'"{etag}"'
        headers += [("ETag", tag), ("Last-Modified", _http_date(last_modified)),
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


# ---------------------------------------------------------------- the site


class LocalSite:
    """Several outlets, each a real HTTP server on 127.0.0.1; see the module docstring."""

    def __init__(
        self,
        outlets: int = 2,
        *,
        pages_per_outlet: int | None = None,
        corpus_dir: Path = CORPUS_DIR,
        seed: int = 0,
        reserve: int = 3,
        article_delay: float = 0.03,
        port: int = 0,
        verbose: bool = False,
    ) -> None:
        if not 1 <= outlets <= 26:
            raise ValueError("outlets must be between 1 and 26")
        self.article_delay = article_delay
        self.verbose = verbose
        self._port = port
        self._lock = threading.Lock()
        self._rng = random.Random(seed)
        self._connections: set[socket.socket] = set()
        self._paths: set[str] = set()
        self._servers: list[_OutletServer] = []
        self._threads: list[threading.Thread] = []
        self.requests: list[RequestLogEntry] = []
        self.max_in_flight: dict[str, int] = {}
        self._in_flight: dict[str, int] = {}
        self.last_body_sent: dict[str, bytes] = {}  # by absolute URL
        self.private_paths = PRIVATE_PATHS

        pool = self._load_corpus(Path(corpus_dir))
        self._rng.shuffle(pool)
        per = pages_per_outlet if pages_per_outlet is not None else (len(pool) - reserve) // outlets
        if per < 1 or per * outlets > len(pool):
            raise ValueError(f"{len(pool)} corpus pages cannot give {outlets} outlets {per} pages each")
        self.outlets: list[OutletSite] = []
        for i in range(outlets):
            outlet = OutletSite(name=f"outlet-{string.ascii_lowercase[i]}")
            pages = pool[i * per : (i + 1) * per]
            arts = [self._make_article(outlet, slug, meta, src) for slug, meta, src in pages]
            arts.sort(key=lambda a: a.published, reverse=True)
            front = min(5, max(1, len(arts) - 5))
            for index, art in enumerate(arts):
                art.index = index
                art.discoverable_via = set(CHANNELS if index < front else _CYCLE[(index - front) % len(_CYCLE)])
            linked = [a for a in arts if "links" in a.discoverable_via]
            for art in linked[:AMP_ARTICLES]:
                art.amp_path = art.path + "amp/"
            outlet.articles = arts
            self.outlets.append(outlet)
        self._unused = pool[outlets * per :]

    # ------------------------------------------------------------ lifecycle

    def start(self) -> LocalSite:
        for i, outlet in enumerate(self.outlets):
            server = _OutletServer(("127.0.0.1", self._port + i if self._port else 0), self, outlet)
            port = server.server_address[1]
            outlet.host = f"127.0.0.1:{port}"
            outlet.base_url = f"http://{outlet.host}"
            with self._lock:
                self.max_in_flight[outlet.name] = 0
                self._in_flight[outlet.name] = 0
                for art in outlet.articles:
                    self._render(outlet, art)
            thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01},
                                      name=f"localsite-{outlet.name}", daemon=True)
            thread.start()
            self._servers.append(server)
            self._threads.append(thread)
        return self

    def stop(self) -> None:
        for server in self._servers:
            server.shutdown()
            server.server_close()
        with self._lock:
            conns, self._connections = list(self._connections), set()
        for conn in conns:  # wake handler threads parked on idle keep-alive connections
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        for thread in self._threads:
            thread.join(timeout=5)
        self._servers, self._threads = [], []

    def __enter__(self) -> LocalSite:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------ queries

    def outlet(self, name: str) -> OutletSite:
        for outlet in self.outlets:
            if outlet.name == name:
                return outlet
        raise KeyError(f"no outlet named {name!r}")

    @property
    def articles(self) -> list[SiteArticle]:
        return [a for o in self.outlets for a in o.articles]

    def paths_requested(self, outlet: str | None = None) -> list[str]:
        with self._lock:
            return [r.path for r in self.requests if outlet is None or r.outlet == outlet]

    def outlets_toml(self) -> str:
        blocks = [f'[[outlets]]\nname = "{o.name}"\nhomepage = "{o.base_url}/"\n' for o in self.outlets]
        return "\n".join(blocks)

    # ------------------------------------------------------------ mutations

    def add_article(self, outlet: str, slug: str | None = None) -> SiteArticle:
        """Publish an unused corpus page (``slug`` = its corpus slug) as the outlet's newest story."""
        site = self.outlet(outlet)
        with self._lock:
            if slug is None:
                if not self._unused:
                    raise LookupError("no unused corpus page left (raise reserve=)")
                entry = self._unused.pop(0)
            else:
                matches = [e for e in self._unused if e[0] == slug]
                if not matches:
                    raise ValueError(f"corpus page {slug!r} is unknown or already in use")
                entry = matches[0]
                self._unused.remove(entry)
            newest = max(a.published for a in self.articles)
            art = self._make_article(site, *entry, published=(newest + timedelta(hours=1)).astimezone(timezone.utc))
            art.index = len(site.articles)
            art.discoverable_via = set(CHANNELS)
            site.articles.append(art)
            if site.base_url:
                self._render(site, art)
        return art

    def edit_article(self, outlet: str, path: str, new_paragraph: str) -> None:
        site = self.outlet(outlet)
        with self._lock:
            art = site.article(path)
            art.edits.append(new_paragraph)
            # Last-Modified has one-second resolution: move it well past the old value.
            art.last_modified = art.last_modified.replace(microsecond=0) + timedelta(hours=1)
            if site.base_url:
                self._render(site, art)

    def delete_article(self, outlet: str, path: str) -> None:
        site = self.outlet(outlet)
        with self._lock:
            site.article(path).deleted = True

    # ------------------------------------------------------------ internals

    @staticmethod
    def _load_corpus(corpus_dir: Path) -> list[tuple[str, dict, bytes]]:
        pages = []
        for html_file in sorted(corpus_dir.glob("*.html")):
            meta_file = html_file.with_suffix(".json")
            if meta_file.exists():
                meta = json.loads(meta_file.read_text(encoding="utf-8"))
                pages.append((html_file.stem, meta, html_file.read_bytes()))
        if not pages:
            raise ValueError(f"no corpus pages (*.html + *.json) in {corpus_dir}")
        return pages

    def _article_path(self, published: datetime, corpus_slug: str) -> str:
        base = f"/news/{published:%Y/%m/%d}/{_slugify(corpus_slug)}"
        path, n = base + "/", 2
        while path in self._paths:  # two corpus slugs may slugify alike
            path, n = f"{base}-{n}/", n + 1
        self._paths.add(path)
        return path

    def _make_article(self, outlet: OutletSite, slug: str, meta: dict, source: bytes,
                      published: datetime | None = None) -> SiteArticle:
        """``published`` defaults to the corpus date (naive dates are taken as UTC)."""
        if published is None:
            fallback = datetime(2016, 1, 1, tzinfo=timezone.utc) + timedelta(days=len(self._paths))
            published = _parse_date(meta.get("date"), fallback)
        art = SiteArticle(
            outlet=outlet.name,
            path="",
            title=str(meta.get("title") or slug),
            published=published,
            corpus_slug=slug,
            expected=meta,
            tags=sorted(self._rng.sample(TAGS, 2)),
            authors=[str(a) for a in meta.get("authors") or []] or ["Staff"],
            last_modified=published,
            charset=find_charset(source),
            source=source,
        )
        art.path = self._article_path(published, slug)
        return art

    def _render(self, outlet: OutletSite, art: SiteArticle) -> None:
        art.canonical_url = outlet.base_url + art.path
        amp_url = outlet.base_url + art.amp_path if art.amp_path else None
        text = str(art.expected.get("body") or art.expected.get("body_prefix") or "")
        source = insert_paragraphs(art.source, art.charset, text, art.edits)
        art.body = rewrite_article(source, art.canonical_url, amp_url)
        art.amp_body = amp_copy(source, art.canonical_url) if art.amp_path else b""

    def _track(self, conn: socket.socket, *, add: bool) -> None:
        with self._lock:
            (self._connections.add if add else self._connections.discard)(conn)

    def _enter(self, outlet: str) -> None:
        with self._lock:
            self._in_flight[outlet] += 1
            self.max_in_flight[outlet] = max(self.max_in_flight[outlet], self._in_flight[outlet])

    def _leave(self, outlet: str) -> None:
        with self._lock:
            self._in_flight[outlet] -= 1

    def _record(self, entry: RequestLogEntry, outlet: OutletSite, target: str,
                payload: bytes | None, article: SiteArticle | None) -> None:
        with self._lock:
            self.requests.append(entry)
            if payload is not None:
                outlet.last_body_sent[target] = payload
                self.last_body_sent[outlet.base_url + target] = payload
            if article is not None and entry.method == "GET":
                article.last_sent_gzip = entry.content_encoding == "gzip"
                article.last_sent_chunked = entry.chunked

    def _route(self, outlet: OutletSite, target: str) -> _Page:
        parts = urlsplit(target)
        path, query = parts.path or "/", dict(parse_qsl(parts.query))
        with self._lock:  # a consistent snapshot against concurrent mutations
            return self._route_locked(outlet, path, query)

    def _route_locked(self, outlet: OutletSite, path: str, query: dict[str, str]) -> _Page:
        xml, html_type = "application/xml", "text/html; charset=utf-8"
        if path == "/":
            return _Page(200, self._homepage(outlet), html_type, [
                ("Set-Cookie", "session=localsite; Path=/; HttpOnly"),
                ("Set-Cookie", "consent=accepted; Path=/; Max-Age=31536000"),
            ])
        if path == "/robots.txt":
            return _Page(200, self._robots(outlet), "text/plain; charset=utf-8")
        if path == "/sitemap_index.xml":
            return _Page(200, self._sitemap_index(outlet), xml)
        if path == "/sitemap-articles-1.xml.gz":
            return _Page(200, gzip.compress(_urlset(outlet, self._sitemap_halves(outlet)[0]), mtime=0),
                         "application/x-gzip")
        if path == "/sitemap-articles-2.xml":
            return _Page(200, _urlset(outlet, self._sitemap_halves(outlet)[1]), xml)
        if path == "/news-sitemap.xml":
            return _Page(200, _news_sitemap(outlet), xml)
        if path == "/feed.rss":
            return _Page(200, _rss(outlet), "application/rss+xml; charset=utf-8")
        if path == "/feed.atom":
            return _Page(200, _atom(outlet), "application/atom+xml; charset=utf-8")
        if path == "/media/press-kit.pdf":
            return _Page(200, _pdf(f"{outlet.display_name} press kit"), "application/pdf")
        if path == "/media/poster.jpg":
            return _Page(200, _jpeg(), "image/jpeg")
        if path in PRIVATE_PATHS:
            return _Page(200, _html_page(outlet, "Secret story", "<p>Robots were asked not to read this.</p>"),
                         html_type)
        if path.startswith("/news/"):
            return self._article_page(outlet, path)
        listing = self._listing(outlet, path, query)
        if listing is not None:
            return _Page(200, listing, html_type)
        return self._not_found(outlet)

    def _not_found(self, outlet: OutletSite) -> _Page:
        return _Page(404, _html_page(outlet, "Page not found", "<p>Nothing lives at this address.</p>"),
                     "text/html; charset=utf-8")

    def _article_page(self, outlet: OutletSite, path: str) -> _Page:
        for art in outlet.articles:
            amp = art.amp_path is not None and path in (art.amp_path, art.amp_path.rstrip("/"))
            if path in (art.path, art.path.rstrip("/")) or amp:
                if art.deleted:
                    body = _html_page(outlet, "Gone", "<p>This story has been removed.</p>")
                    return _Page(410, body, "text/html; charset=utf-8", article=art)
                return _Page(200, art.amp_body if amp else art.body, art.content_type, article=art, amp=amp)
        return self._not_found(outlet)

    def _robots(self, outlet: OutletSite) -> bytes:
        return (
            f"# robots.txt for {outlet.display_name} (pressclips local test site)\n"
            "User-agent: *\nDisallow: /private/\nAllow: /\n\n"
            f"Sitemap: {outlet.base_url}/sitemap_index.xml\n"
            f"Sitemap: {outlet.base_url}/news-sitemap.xml\n"
        ).encode("utf-8")

    def _sitemap_halves(self, outlet: OutletSite) -> tuple[list[SiteArticle], list[SiteArticle]]:
        arts = outlet.live("sitemap")
        half = (len(arts) + 1) // 2
        return arts[:half], arts[half:]

    def _sitemap_index(self, outlet: OutletSite) -> bytes:
        rows = []
        for name, arts in zip(("sitemap-articles-1.xml.gz", "sitemap-articles-2.xml"),
                              self._sitemap_halves(outlet)):
            lastmod = max((a.last_modified for a in arts), default=datetime(2016, 1, 1, tzinfo=timezone.utc))
            rows.append(f"<sitemap><loc>{outlet.base_url}/{name}</loc><lastmod>{_w3c(lastmod)}</lastmod></sitemap>\n")
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
            + "".join(rows) + "</sitemapindex>\n"
        ).encode("utf-8")

    def _homepage(self, outlet: OutletSite) -> bytes:
        top = outlet.live("links")[:5]
        # URL variants of the same story: tracking parameters, a fragment, the plain path.
        variants = (_UTM, "#comments", "")
        items = [(a, a.path + variants[i % 3]) for i, a in enumerate(top)]
        main = (
            "<section><h2>Top stories</h2>\n" + _headlines(items) + "</section>\n"
            '<p><a href="/section/news/">More news</a></p>\n'
            f'<p class="exclusive"><a href="{PRIVATE_PATHS[0]}">Exclusive: the secret story</a></p>\n'
            '<p><a href="/media/press-kit.pdf">Press kit (PDF)</a></p>\n'
            '<figure><img src="/media/poster.jpg" alt="Poster"><figcaption>'
            '<a href="/media/poster.jpg">Download the poster</a></figcaption></figure>\n'
        )
        return _html_page(outlet, outlet.display_name, main)

    def _listing(self, outlet: OutletSite, path: str, query: dict[str, str]) -> bytes | None:
        linked = outlet.live("links")
        if path == "/section/news/" or (m := re.fullmatch(r"/section/news/page/(\d+)/", path)):
            return self._section(outlet, linked, 1 if path == "/section/news/" else int(m.group(1)), query)
        if m := re.fullmatch(r"/tag/([a-z0-9-]+)/", path):
            if m.group(1) not in TAGS:
                return None
            # Tag pages link without the trailing slash: same page, different URL.
            items = [(a, a.path.rstrip("/")) for a in linked if m.group(1) in a.tags]
            return _html_page(outlet, f"Tag: {m.group(1)}", _headlines(items))
        if m := re.fullmatch(r"/author/([a-z0-9-]+)/", path):
            arts = [a for a in linked if m.group(1) in {_slugify(n) for n in a.authors}]
            names = {n for a in arts for n in a.authors if _slugify(n) == m.group(1)}
            if not names:
                return None
            return _html_page(outlet, f"Stories by {sorted(names)[0]}",
                              _headlines([(a, a.path + "#comments") for a in arts]))
        if m := re.fullmatch(r"/calendar/(\d{4})/(\d{2})/", path):
            return self._calendar(outlet, linked, int(m.group(1)), int(m.group(2)))
        return None

    def _section(self, outlet: OutletSite, linked: list[SiteArticle], page: int,
                 query: dict[str, str]) -> bytes | None:
        sort, tag = query.get("sort"), query.get("filter")
        arts = [a for a in linked if tag is None or tag in a.tags]
        if sort == "asc":
            arts = arts[::-1]
        pages = max(1, -(-len(arts) // SECTION_PAGE_SIZE))
        if page < 1 or page > pages:
            return None
        shown = arts[(page - 1) * SECTION_PAGE_SIZE : page * SECTION_PAGE_SIZE]
        items = [(a, a.path) for a in shown]
        amp = [f'<li><a href="{a.amp_path}">{html.escape(a.title)} (AMP)</a></li>' for a in shown if a.amp_path]
        pager = []
        if page > 1:
            prev = "/section/news/" if page == 2 else f"/section/news/page/{page - 1}/"
            pager.append(f'<a rel="prev" href="{prev}">Previous</a>')
        if page < pages:
            pager.append(f'<a rel="next" href="/section/news/page/{page + 1}/">Next</a>')
        facets = [f"?sort={s}" for s in ("asc", "desc")] + [f"?filter={t}" for t in TAGS]
        if query:  # faceted pages offer every combination, in both parameter orders
            facets += [f"?sort={s}&filter={t}" for s in ("asc", "desc") for t in TAGS]
            facets += [f"?filter={t}&sort={s}" for t in TAGS for s in ("asc", "desc")]
        main = (
            _headlines(items)
            + ("\n<ul class=\"amp\">" + "".join(amp) + "</ul>" if amp else "")
            + '\n<nav class="pager">' + " ".join(pager) + "</nav>\n"
            + '<aside class="facets">'
            + " ".join(f'<a href="/section/news/{html.escape(f)}">{html.escape(f[1:])}</a>' for f in facets)
            + "</aside>\n"
        )
        if page == 1 and not query:
            main += f'<p class="promo"><a href="{PRIVATE_PATHS[1]}">Members only: the secret story</a></p>\n'
        return _html_page(outlet, "News" if page == 1 else f"News, page {page}", main)

    def _calendar(self, outlet: OutletSite, linked: list[SiteArticle], year: int, month: int) -> bytes | None:
        if not (1 <= year <= 9999 and 1 <= month <= 12):
            return None
        items = [(a, a.path + _UTM) for a in linked if (a.published.year, a.published.month) == (year, month)]
        prev_y, prev_m = (year, month - 1) if month > 1 else (year - 1, 12)
        next_y, next_m = (year, month + 1) if month < 12 else (year + 1, 1)
        nav = []
        if prev_y >= 1:
            nav.append(f'<a rel="prev" href="/calendar/{prev_y:04d}/{prev_m:02d}/">Previous month</a>')
        if next_y <= 9999:
            nav.append(f'<a rel="next" href="/calendar/{next_y:04d}/{next_m:02d}/">Next month</a>')
        main = _headlines(items) + '\n<nav class="calendar">' + " ".join(nav) + "</nav>\n"
        return _html_page(outlet, f"Archive {year:04d}-{month:02d}", main)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.localsite", description=__doc__.splitlines()[0])
    parser.add_argument("--outlets", type=int, default=2)
    parser.add_argument("--port", type=int, default=0, help="first port (outlet i gets port+i); 0 = any free port")
    parser.add_argument("--pages-per-outlet", type=int, default=None)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--delay", type=float, default=0.03, help="seconds added to each article response")
    parser.add_argument("--verbose", action="store_true", help="log every request to stderr")
    args = parser.parse_args(argv)
    site = LocalSite(args.outlets, pages_per_outlet=args.pages_per_outlet, seed=args.seed,
                     article_delay=args.delay, port=args.port, verbose=args.verbose).start()
    signal.signal(signal.SIGTERM, _interrupt)  # `kill` stops it as cleanly as Ctrl-C
    try:
        for outlet in site.outlets:
            print(f"{outlet.name} {outlet.base_url}/", flush=True)
        print("# outlets.toml\n" + site.outlets_toml(), flush=True)
        print("Serving; press Ctrl-C to stop.", file=sys.stderr, flush=True)
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        site.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
