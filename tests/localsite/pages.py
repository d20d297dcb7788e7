"""Every body the local site serves, built from outlet/article state (no HTTP, no locks).

Article bytes (corpus page with our canonical/amphtml links, edit paragraphs, AMP copies),
the HTML shell and headline lists of listing pages, sitemaps, the Google News sitemap, RSS
and Atom feeds, a valid PDF and JPEG, hand-written chunked framing, and the date and slug
helpers those share.
"""

from __future__ import annotations

import codecs
import html
import re
from datetime import datetime, timezone
from email.utils import format_datetime
from xml.sax.saxutils import escape as xml_escape

from .model import TAGS, OutletSite, SiteArticle

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


def slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "x"


def w3c(dt: datetime) -> str:
    return dt.isoformat(timespec="seconds")


def http_date(dt: datetime) -> str:
    return format_datetime(dt.astimezone(timezone.utc), usegmt=True)


def parse_date(value: object, fallback: datetime) -> datetime:
    if not isinstance(value, str) or not value:
        return fallback
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return fallback
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def html_page(outlet: OutletSite, title: str, main: str, *, nav_extra: str = "") -> bytes:
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
        f'<a rel="author" href="/author/{slugify(a)}/">{html.escape(a)}</a>' for a in art.authors
    )
    return (
        f'<li class="headline"><a href="{html.escape(href)}">{html.escape(art.title)}</a>'
        f' <time datetime="{w3c(art.published)}">{art.published:%d %b %Y}</time>'
        f' <span class="byline">by {authors}</span></li>'
    )


def headlines(items: list[tuple[SiteArticle, str]]) -> str:
    if not items:
        return '<p class="empty">No stories yet.</p>'
    return '<ul class="headlines">\n' + "\n".join(_headline(a, h) for a, h in items) + "\n</ul>"


def urlset(outlet: OutletSite, arts: list[SiteArticle]) -> bytes:
    rows = "".join(
        f"<url><loc>{xml_escape(a.canonical_url)}</loc><lastmod>{w3c(a.last_modified)}</lastmod></url>\n"
        for a in arts
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n' + rows + "</urlset>\n"
    ).encode("utf-8")


def news_sitemap(outlet: OutletSite) -> bytes:
    rows = []
    for a in outlet.live("news_sitemap"):
        lang = a.expected.get("lang") or "en"
        rows.append(
            f"<url><loc>{xml_escape(a.canonical_url)}</loc><news:news><news:publication>"
            f"<news:name>{xml_escape(outlet.display_name)}</news:name>"
            f"<news:language>{xml_escape(lang)}</news:language></news:publication>"
            f"<news:publication_date>{w3c(a.published)}</news:publication_date>"
            f"<news:title>{xml_escape(a.title)}</news:title></news:news></url>\n"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'
        ' xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">\n'
        + "".join(rows)
        + "</urlset>\n"
    ).encode("utf-8")


def rss(outlet: OutletSite) -> bytes:
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


def atom(outlet: OutletSite) -> bytes:
    arts = outlet.live("atom")
    updated = max((a.last_modified for a in arts), default=datetime(2016, 1, 1, tzinfo=timezone.utc))
    entries = []
    for a in arts:
        authors = "".join(f"<author><name>{xml_escape(n)}</name></author>" for n in a.authors)
        entries.append(
            f"<entry><title>{xml_escape(a.title)}</title>"
            f'<link rel="alternate" type="text/html" href="{xml_escape(a.path)}"/>'
            f"<id>{xml_escape(a.canonical_url)}</id><published>{w3c(a.published)}</published>"
            f"<updated>{w3c(a.last_modified)}</updated>{authors}</entry>\n"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">\n'
        f"<title>{xml_escape(outlet.display_name)}</title><id>{outlet.base_url}/</id>"
        f'<link rel="self" href="/feed.atom"/><link rel="alternate" href="/"/>'
        f"<updated>{w3c(updated)}</updated>\n" + "".join(entries) + "</feed>\n"
    ).encode("utf-8")


def pdf(title: str) -> bytes:
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


def jpeg() -> bytes:
    """A valid 8x8 grey baseline JPEG: one-symbol Huffman tables, one all-zero block."""
    def seg(marker: bytes, payload: bytes) -> bytes:
        return b"\xff" + marker + (len(payload) + 2).to_bytes(2, "big") + payload

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

def chunks(payload: bytes) -> bytes:
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
