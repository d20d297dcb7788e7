"""Discovery parsers: robots.txt, sitemaps (incl. Google News and gzip), RSS/RDF/Atom, sniffing.

This module owns turning a fetched robots.txt, sitemap or feed body into URLs worth crawling plus
the discovery metadata that travels with them (lastmod, news:publication_date, feed dates/authors),
guessing a body's document kind (``sniff``), lenient date parsing (``parse_date``) and the safe
XML/gzip plumbing underneath. HTML link work (feed links, anchors, URL classification) lives in
``crawler.links``. It is pure: no Scrapy, no Twisted, no I/O, so the spider stays a thin adapter
and everything here is unit-testable.

Hostile-input stance: bodies come from the open web. XML is parsed without entity expansion,
DTD loading or network access; gzip is inflated incrementally under a hard size cap; every
parse failure surfaces as ``DiscoveryParseError`` (a ``ValueError``) and nothing else.
"""

from __future__ import annotations

import html as html_lib
import re
import warnings
import zlib
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from urllib.parse import urldefrag, urljoin, urlsplit

from dateutil import parser as dateutil_parser
from lxml import etree

MAX_SITEMAP_BYTES = 50 * 1024 * 1024  # sitemap protocol limit for the uncompressed file
_GZIP_MAGIC = b"\x1f\x8b"
_INFLATE_STEP = 1024 * 1024


class DiscoveryParseError(ValueError):
    """The body is not the document kind the caller asked for, or is unsafe to process."""


@dataclass(frozen=True)
class SitemapEntry:
    loc: str
    lastmod: datetime | None = None
    news_title: str | None = None
    news_publication_date: datetime | None = None
    news_publication_name: str | None = None
    news_language: str | None = None


@dataclass(frozen=True)
class Sitemap:
    kind: str  # "index" or "urlset"
    entries: list[SitemapEntry]
    is_news: bool


@dataclass(frozen=True)
class FeedEntry:
    url: str
    title: str | None
    published: datetime | None
    updated: datetime | None
    authors: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------- bytes & XML plumbing


def _gunzip(body: bytes, cap: int, *, partial: bool = False) -> bytes:
    """Inflate gzip ``body`` without ever holding more than ``cap + 1`` output bytes.

    ``max_length`` bounds each step, so a bomb is detected after producing cap bytes rather
    than after allocating all of them. ``partial`` returns the first ``cap`` bytes (for sniffing).
    """
    out = bytearray()
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    data = body
    try:
        while True:
            # Small steps: one huge chunk plus the buffer it is appended to would double the peak.
            chunk = inflater.decompress(data, min(_INFLATE_STEP, cap + 1 - len(out)))
            out += chunk
            if len(out) > cap:
                if partial:
                    return bytes(out[:cap])
                raise DiscoveryParseError(f"gzip body inflates beyond {cap} bytes")
            data = inflater.unconsumed_tail
            if inflater.eof:
                rest = inflater.unused_data
                if not rest.startswith(_GZIP_MAGIC):  # concatenated members are legal gzip
                    break
                inflater, data = zlib.decompressobj(16 + zlib.MAX_WBITS), rest
            elif not chunk and not data:
                break  # truncated stream: keep what we have, recover-mode XML copes
    except zlib.error as exc:
        if partial:
            return bytes(out)
        raise DiscoveryParseError(f"corrupt gzip body: {exc}") from None
    return bytes(out)


def _maybe_gunzip(body: bytes, cap: int = MAX_SITEMAP_BYTES) -> bytes:
    # Decide by magic bytes: servers label .xml.gz as text/xml, application/x-gzip or anything.
    return _gunzip(body, cap) if body[:2] == _GZIP_MAGIC else body


# A named reference, a numeric one, or a bare "&" (e.g. an unescaped "?a=1&b=2" in a link).
_AMPERSAND = re.compile(rb"&(?:([A-Za-z][A-Za-z0-9]{1,31});|#[0-9]{1,8};|#x[0-9A-Fa-f]{1,8};)?")


def _entity_to_numeric(match: re.Match[bytes]) -> bytes:
    if match.group(1) is None:
        return match.group(0) if len(match.group(0)) > 1 else b"&#38;"
    chars = html_lib.entities.html5.get(match.group(1).decode("ascii") + ";")
    if chars is None:  # not HTML's: the document's own entity, left unexpanded by the parser
        return match.group(0)
    return "".join(f"&#{ord(c)};" for c in chars).encode("ascii")


def _numeric_references(body: bytes) -> bytes:
    """Rewrite ``&amp;``, ``&eacute;`` and bare ``&`` as numeric references, outside CDATA.

    Measured with libxml2 2.14: once a document has any error (an HTML entity like
    ``&eacute;``, a bare ``&``), recover mode silently drops every later ``&amp;``/``&lt;``,
    while numeric references survive. HTML entities themselves are common in feeds made by
    HTML templates. The scan is forward-only so unterminated CDATA cannot make it quadratic.
    """
    if b"&" not in body:
        return body
    out, pos = [], 0
    while pos < len(body):
        start = body.find(b"<![CDATA[", pos)
        stop = len(body) if start < 0 else start
        out.append(_AMPERSAND.sub(_entity_to_numeric, body[pos:stop]))
        if start < 0:
            break
        end = body.find(b"]]>", start)
        end = len(body) if end < 0 else end + 3
        out.append(body[start:end])  # CDATA is literal text: references inside are not references
        pos = end
    return b"".join(out)


def _xml_parser() -> etree.XMLParser:
    # A fresh parser per call: lxml parsers are not thread-safe and keep an error log.
    return etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
        recover=True, remove_comments=True, remove_pis=True,
    )


def _parse_xml(body: bytes, base_url: str | None = None) -> etree._Element:
    body = _maybe_gunzip(body)
    if body.startswith(b"\xef\xbb\xbf"):
        body = body[3:]
    # Leading blank lines before <?xml are a classic CMS-plugin bug; strict libxml2 rejects them.
    body = _numeric_references(body.lstrip(b" \t\r\n"))
    try:
        root = etree.fromstring(body, _xml_parser(), base_url=base_url)
    except (etree.LxmlError, ValueError, LookupError, UnicodeError) as exc:
        raise DiscoveryParseError(f"not parseable as XML: {exc}") from None
    if root is None or not isinstance(root.tag, str):
        raise DiscoveryParseError("no XML root element")
    return root


def _local(tag: object) -> str:
    """Namespace-free tag name; '' for comments, entities and processing instructions.

    A prefix is dropped too: with an undeclared prefix (``dc:`` without ``xmlns:dc``, common)
    recover mode keeps ``dc:creator`` as a plain name.
    """
    if not isinstance(tag, str):
        return ""
    return tag.rsplit("}", 1)[-1].rsplit(":", 1)[-1]


def _children(el: etree._Element, *names: str) -> list[etree._Element]:
    return [child for child in el if _local(child.tag) in names]


def _child(el: etree._Element, *names: str) -> etree._Element | None:
    for child in el:
        if _local(child.tag) in names:
            return child
    return None


def _text(el: etree._Element | None) -> str | None:
    """Element text without expanding entity references (``xpath('string()')`` would expand)."""
    if el is None:
        return None
    parts: list[str] = []

    def walk(node: etree._Element) -> None:
        if node.text and isinstance(node.tag, str):
            parts.append(node.text)
        for child in node:
            if isinstance(child.tag, str):
                walk(child)
            if child.tail:
                parts.append(child.tail)

    walk(el)
    text = " ".join("".join(parts).split())
    return text or None


def _absolute(href: str | None, base: str | None) -> str | None:
    """Absolute http(s) URL without fragment, or None when unusable."""
    if not href:
        return None
    href = re.sub(r"[\t\r\n]", "", href).strip()  # as browsers do (WHATWG URL parsing)
    if not href:
        return None
    try:
        url = urldefrag(urljoin(base, href) if base else href).url
        parts = urlsplit(url)
    except ValueError:  # e.g. malformed IPv6 literal
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    return url


def _element_base(el: etree._Element, fallback: str) -> str:
    # lxml resolves nested xml:base against the document URL given at parse time.
    try:
        return el.base or fallback
    except (ValueError, UnicodeError):
        return fallback


# --------------------------------------------------------------------------- dates


_YEAR_MONTH = re.compile(r"^(\d{4})(?:-(\d{1,2}))?$")


def parse_date(value: str | None) -> datetime | None:
    """Parse W3C datetime, RFC 822 or date-only text; tz-aware (UTC when unzoned); never raises.

    The original offset is kept (``+05:30`` stays ``+05:30``); years before 1900 are treated as
    CMS placeholders and yield None.
    """
    if not value or not isinstance(value, str):
        return None
    value = " ".join(value.split())
    if not value or len(value) > 100:
        return None
    result: datetime | None = None
    try:
        match = _YEAR_MONTH.match(value)
        if match:  # W3C "YYYY" / "YYYY-MM", which fromisoformat rejects
            result = datetime(int(match.group(1)), int(match.group(2) or 1), 1)
        else:
            result = datetime.fromisoformat(value)
    except (ValueError, OverflowError):
        try:
            result = parsedate_to_datetime(value)
        except (ValueError, TypeError, IndexError, OverflowError):
            # Last resort for "May 17, 2024 10:00 AM" and friends; demand a 4-digit year so
            # dateutil cannot turn "7" or "May" into today's date.
            if re.search(r"\b\d{4}\b", value):
                try:
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        result = dateutil_parser.parse(value, default=datetime(2000, 1, 1))
                except (ValueError, OverflowError, TypeError, LookupError):
                    result = None
    if result is None:
        return None
    try:
        if result.tzinfo is None or result.utcoffset() is None:
            result = result.replace(tzinfo=timezone.utc)
        if result.astimezone(timezone.utc).year < 1900:
            return None
    except (ValueError, OverflowError):
        return None
    return result


# --------------------------------------------------------------------------- robots & sitemaps


_ROBOTS_SITEMAP = re.compile(r"^\s*sitemap\s*:\s*(\S+)", re.IGNORECASE)


def parse_robots_sitemaps(robots_txt: bytes | str, base_url: str) -> list[str]:
    """Every ``Sitemap:`` URL in robots.txt, absolutised, deduplicated, in file order."""
    if isinstance(robots_txt, bytes):
        robots_txt = robots_txt.decode("utf-8", errors="replace")
    found: dict[str, None] = {}
    for line in robots_txt.lstrip("\ufeff").splitlines():
        match = _ROBOTS_SITEMAP.match(line)
        url = _absolute(match.group(1), base_url) if match else None
        if url:
            found.setdefault(url, None)
    return list(found)


def _news_fields(url_el: etree._Element) -> dict[str, object] | None:
    news = _child(url_el, "news")
    if news is None:
        return None
    publication = _child(news, "publication")
    return {
        "news_title": _text(_child(news, "title")),
        "news_publication_date": parse_date(_text(_child(news, "publication_date"))),
        "news_publication_name": _text(_child(publication, "name")) if publication is not None else None,
        "news_language": _text(_child(publication, "language")) if publication is not None else None,
    }


def parse_sitemap(
    body: bytes, *, max_entries: int = 50_000, base_url: str | None = None
) -> Sitemap:
    """Parse a sitemap index or urlset (plain or gzip). ``base_url`` resolves relative locs.

    Namespaces are ignored (sites use 0.9, Google's 0.84 or none). Entries without an http(s)
    loc are skipped, duplicates dropped, and at most ``max_entries`` are returned.
    """
    root = _parse_xml(body)
    root_name = _local(root.tag).lower()
    if root_name == "sitemapindex":
        kind, item_name = "index", "sitemap"
    elif root_name == "urlset":
        kind, item_name = "urlset", "url"
    else:
        raise DiscoveryParseError(f"not a sitemap: root element <{root_name}>")
    entries: dict[str, SitemapEntry] = {}
    is_news = False
    for item in root:
        if len(entries) >= max_entries:
            break
        if _local(item.tag) != item_name:
            continue
        loc = _absolute(_text(_child(item, "loc")), base_url)
        news = _news_fields(item) if kind == "urlset" else None
        is_news = is_news or news is not None
        if loc is None or loc in entries:
            continue
        lastmod = parse_date(_text(_child(item, "lastmod")))
        entries[loc] = SitemapEntry(loc, lastmod, **(news or {}))  # type: ignore[arg-type]
    return Sitemap(kind=kind, entries=list(entries.values()), is_news=is_news)


# --------------------------------------------------------------------------- feeds


_TAG = re.compile(r"</?[A-Za-z][^<>]{0,500}>")
_EMAIL_WITH_NAME = re.compile(r"^\S+@\S+\s*\((.+)\)$")


def _clean_title(el: etree._Element | None) -> str | None:
    raw = _text(el)
    if raw is None:
        return None
    # Titles often carry escaped markup or double-escaped entities (&amp;amp;) from CMSes.
    cleaned = " ".join(html_lib.unescape(_TAG.sub("", raw)).split())
    return cleaned or None


def _clean_authors(elements: list[etree._Element]) -> list[str]:
    names: dict[str, None] = {}
    for el in elements:
        name = _text(_child(el, "name")) if _local(el.tag) == "author" and len(el) else _text(el)
        if name:
            match = _EMAIL_WITH_NAME.match(name)  # RSS <author>jane@x.com (Jane Doe)</author>
            names.setdefault(match.group(1).strip() if match else name, None)
    return list(names)


def _atom_link(entry: etree._Element, base_url: str) -> str | None:
    candidates = []
    for link in _children(entry, "link"):
        rel = (link.get("rel") or "alternate").strip().lower()
        if rel == "alternate" and link.get("href"):
            candidates.append(link)
    # Among alternates prefer the HTML one (some feeds also list a JSON/AMP alternate).
    candidates.sort(key=lambda link: (link.get("type") or "text/html").lower() != "text/html")
    for link in candidates:
        url = _absolute(link.get("href"), _element_base(link, base_url))
        if url:
            return url
    return None


def _rss_link(item: etree._Element, base_url: str) -> str | None:
    for link in _children(item, "link"):
        href = _text(link) or (link.get("href") if link.get("rel") in (None, "alternate") else None)
        url = _absolute(href, base_url)
        if url:
            return url
    for guid in _children(item, "guid"):
        # isPermaLink defaults to true, but only an already-absolute guid is trusted: Drupal-style
        # "123 at https://..." guids would otherwise be resolved into nonsense URLs.
        if (guid.get("isPermaLink") or "true").strip().lower() == "true":
            url = _absolute(_text(guid), None)
            if url:
                return url
    about = item.get("{http://www.w3.org/1999/02/22-rdf-syntax-ns#}about")
    return _absolute(about, None)


def parse_feed(body: bytes, base_url: str, *, max_entries: int = 10_000) -> list[FeedEntry]:
    """Entries of an RSS 2.0/0.9x, RSS 1.0 (RDF) or Atom 1.0 feed; URLs absolute and unique."""
    root = _parse_xml(body, base_url)
    root_name = _local(root.tag).lower()
    item_name = {"rss": "item", "rdf": "item", "feed": "entry"}.get(root_name)
    if item_name is None:
        raise DiscoveryParseError(f"not a feed: root element <{root_name}>")
    # Descendants, not children: after an unclosed tag, recover mode nests later items inside
    # earlier ones, and some feeds put items straight under <rss>.
    items = [el for el in root.iter() if _local(el.tag) == item_name]
    feed_authors = _clean_authors(_children(root, "author")) if root_name == "feed" else []
    entries: dict[str, FeedEntry] = {}
    for item in items:
        if len(entries) >= max_entries:
            break
        if root_name == "feed":
            url = _atom_link(item, base_url)
            published = parse_date(_text(_child(item, "published", "issued")))
            updated = parse_date(_text(_child(item, "updated", "modified")))
            authors = _clean_authors(_children(item, "author")) or feed_authors
        else:
            url = _rss_link(item, base_url)
            published = parse_date(_text(_child(item, "pubDate", "date")))
            updated = parse_date(_text(_child(item, "updated", "modified")))
            authors = _clean_authors(_children(item, "author", "creator"))
        if url is None or url in entries:
            continue
        entries[url] = FeedEntry(url, _clean_title(_child(item, "title")), published, updated, authors)
    return list(entries.values())


# --------------------------------------------------------------------------- sniffing


_SNIFF_BYTES = 64 * 1024
_TAG_NAME = re.compile(r"<([A-Za-z_][\w.:-]*)")
_HTML_START = frozenset({"html", "head", "body", "meta", "title", "div", "script", "link", "p", "style"})
_ROOT_KINDS = {
    "urlset": "sitemap", "sitemapindex": "sitemapindex", "rss": "rss", "feed": "atom", "rdf": "rdf",
}


def _first_element_name(text: str) -> str | None:
    """Name of the first element, skipping declarations, comments, PIs and a DOCTYPE.

    A forward-only scan (each ``find`` starts where the last stopped) keeps this linear even
    on adversarial input full of unterminated ``<?``/``<!--``.
    """
    pos = 0
    while True:
        pos = text.find("<", pos)
        if pos < 0:
            return None
        if text.startswith("<?", pos):
            end, skip = text.find("?>", pos + 2), 2
        elif text.startswith("<!--", pos):
            end, skip = text.find("-->", pos + 4), 3
        elif text.startswith("<!", pos):
            if re.match(r"<!doctype\s+html\b", text[pos : pos + 20], re.I):
                return "html"
            close, bracket = text.find(">", pos), text.find("[", pos)
            if 0 <= bracket < close:  # internal subset: skip to "]" first
                close = text.find(">", max(text.find("]", bracket), bracket))
            end, skip = close, 1
        else:
            match = _TAG_NAME.match(text, pos)
            if match:
                return match.group(1)
            end, skip = pos, 1
        if end < 0:
            return None
        pos = end + skip


def sniff(body: bytes) -> str:
    """Guess the document kind from its first element, reading at most 64 KiB (gzip-aware)."""
    if body[:2] == _GZIP_MAGIC:
        head = _gunzip(body[: _SNIFF_BYTES * 4], _SNIFF_BYTES, partial=True)
    else:
        head = body[:_SNIFF_BYTES]
    if head[:2] in (b"\xff\xfe", b"\xfe\xff"):
        text = head.decode("utf-16", errors="replace")
    else:
        text = head.decode("latin-1")  # tag names are ASCII; any byte-transparent decode works
    name = _first_element_name(text)
    if name is None:
        return "unknown"
    name = name.rsplit(":", 1)[-1].lower()
    if name in _ROOT_KINDS:
        return _ROOT_KINDS[name]
    return "html" if name in _HTML_START else "unknown"

