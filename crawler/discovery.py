"""Discovery parsers: robots.txt, sitemaps (incl. Google News and gzip), RSS/RDF/Atom, sniffing.

This module owns turning a fetched robots.txt, sitemap or feed body into URLs worth crawling plus
the discovery metadata that travels with them (lastmod, news:publication_date, feed dates/authors),
guessing a body's document kind (``sniff``) and lenient date parsing (``parse_date``). The safe
XML/gzip plumbing underneath (bounded inflate, hardened parser, entity-safe text, URL
absolutising) lives in ``crawler.safexml``; HTML link work (feed links, anchors, URL
classification) lives in ``crawler.links``. It is pure: no Scrapy, no Twisted, no I/O, so the
spider stays a thin adapter and everything here is unit-testable.

Hostile-input stance: bodies come from the open web. They reach lxml only through
``crawler.safexml`` (no entity expansion, DTD loading or network access; gzip inflated
incrementally under a hard size cap); every parse failure surfaces as ``DiscoveryParseError``
(a ``ValueError``) and nothing else.
"""

from __future__ import annotations

import functools
import html as html_lib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import ParamSpec, TypeVar

from lxml import etree

from archive.times import parse_date
from crawler.safexml import (
    GZIP_MAGIC,
    DiscoveryParseError,
    absolute_url,
    child_named,
    children_named,
    element_base,
    element_text,
    gunzip,
    local_name,
    parse_xml,
)

P = ParamSpec("P")
R = TypeVar("R")


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


# --------------------------------------------------------------------------- robots & sitemaps


_ROBOTS_SITEMAP = re.compile(r"^\s*sitemap\s*:\s*(\S+)", re.IGNORECASE)


def parse_robots_sitemaps(robots_txt: bytes | str, base_url: str) -> list[str]:
    """Every ``Sitemap:`` URL in robots.txt, absolutised, deduplicated, in file order."""
    if isinstance(robots_txt, bytes):
        robots_txt = robots_txt.decode("utf-8", errors="replace")
    found: dict[str, None] = {}
    for line in robots_txt.lstrip("\ufeff").splitlines():
        match = _ROBOTS_SITEMAP.match(line)
        url = absolute_url(match.group(1), base_url) if match else None
        if url:
            found.setdefault(url, None)
    return list(found)


def _news_fields(url_el: etree._Element) -> dict[str, object] | None:
    news = child_named(url_el, "news")
    if news is None:
        return None
    publication = child_named(news, "publication")
    return {
        "news_title": element_text(child_named(news, "title")),
        "news_publication_date": parse_date(element_text(child_named(news, "publication_date"))),
        "news_publication_name": (
            element_text(child_named(publication, "name")) if publication is not None else None
        ),
        "news_language": (
            element_text(child_named(publication, "language")) if publication is not None else None
        ),
    }


def _contained(parse: Callable[P, R]) -> Callable[P, R]:
    """Let only DiscoveryParseError out of a parser. Found by fuzzing: a UTF-16 document can
    still give lxml a character reference to a surrogate (the byte-level rewrite in
    ``crawler.safexml`` sees only ASCII-compatible encodings), and lxml then raises
    UnicodeDecodeError when the element's tag, attribute or text is read."""

    @functools.wraps(parse)
    def contained(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return parse(*args, **kwargs)
        except UnicodeError as exc:
            raise DiscoveryParseError(f"undecodable text in XML: {exc}") from None

    return contained


@_contained
def parse_sitemap(
    body: bytes, *, max_entries: int = 50_000, base_url: str | None = None
) -> Sitemap:
    """Parse a sitemap index or urlset (plain or gzip). ``base_url`` resolves relative locs.

    Namespaces are ignored (sites use 0.9, Google's 0.84 or none). Entries without an http(s)
    loc are skipped, duplicates dropped, and at most ``max_entries`` are returned.
    """
    root = parse_xml(body)
    root_name = local_name(root.tag).lower()
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
        if local_name(item.tag) != item_name:
            continue
        loc = absolute_url(element_text(child_named(item, "loc")), base_url)
        news = _news_fields(item) if kind == "urlset" else None
        is_news = is_news or news is not None
        if loc is None or loc in entries:
            continue
        lastmod = parse_date(element_text(child_named(item, "lastmod")))
        entries[loc] = SitemapEntry(loc, lastmod, **(news or {}))  # type: ignore[arg-type]
    return Sitemap(kind=kind, entries=list(entries.values()), is_news=is_news)


# --------------------------------------------------------------------------- feeds


_TAG = re.compile(r"</?[A-Za-z][^<>]{0,500}>")
_EMAIL_WITH_NAME = re.compile(r"^\S+@\S+\s*\((.+)\)$")


def _clean_title(el: etree._Element | None) -> str | None:
    raw = element_text(el)
    if raw is None:
        return None
    # Titles often carry escaped markup or double-escaped entities (&amp;amp;) from CMSes.
    cleaned = " ".join(html_lib.unescape(_TAG.sub("", raw)).split())
    return cleaned or None


def _clean_authors(elements: list[etree._Element]) -> list[str]:
    names: dict[str, None] = {}
    for el in elements:
        is_atom_person = local_name(el.tag) == "author" and len(el)
        name = element_text(child_named(el, "name")) if is_atom_person else element_text(el)
        if name:
            match = _EMAIL_WITH_NAME.match(name)  # RSS <author>jane@x.com (Jane Doe)</author>
            names.setdefault(match.group(1).strip() if match else name, None)
    return list(names)


def _atom_link(entry: etree._Element, base_url: str) -> str | None:
    candidates = []
    for link in children_named(entry, "link"):
        rel = (link.get("rel") or "alternate").strip().lower()
        if rel == "alternate" and link.get("href"):
            candidates.append(link)
    # Among alternates prefer the HTML one (some feeds also list a JSON/AMP alternate).
    candidates.sort(key=lambda link: (link.get("type") or "text/html").lower() != "text/html")
    for link in candidates:
        url = absolute_url(link.get("href"), element_base(link, base_url))
        if url:
            return url
    return None


def _rss_link(item: etree._Element, base_url: str) -> str | None:
    for link in children_named(item, "link"):
        href = element_text(link) or (link.get("href") if link.get("rel") in (None, "alternate") else None)
        url = absolute_url(href, base_url)
        if url:
            return url
    for guid in children_named(item, "guid"):
        # isPermaLink defaults to true, but only an already-absolute guid is trusted: Drupal-style
        # "123 at https://..." guids would otherwise be resolved into nonsense URLs.
        if (guid.get("isPermaLink") or "true").strip().lower() == "true":
            url = absolute_url(element_text(guid), None)
            if url:
                return url
    about = item.get("{http://www.w3.org/1999/02/22-rdf-syntax-ns#}about")
    return absolute_url(about, None)


@_contained
def parse_feed(body: bytes, base_url: str, *, max_entries: int = 10_000) -> list[FeedEntry]:
    """Entries of an RSS 2.0/0.9x, RSS 1.0 (RDF) or Atom 1.0 feed; URLs absolute and unique."""
    root = parse_xml(body, base_url)
    root_name = local_name(root.tag).lower()
    item_name = {"rss": "item", "rdf": "item", "feed": "entry"}.get(root_name)
    if item_name is None:
        raise DiscoveryParseError(f"not a feed: root element <{root_name}>")
    # Descendants, not children: after an unclosed tag, recover mode nests later items inside
    # earlier ones, and some feeds put items straight under <rss>.
    items = [el for el in root.iter() if local_name(el.tag) == item_name]
    feed_authors = _clean_authors(children_named(root, "author")) if root_name == "feed" else []
    entries: dict[str, FeedEntry] = {}
    for item in items:
        if len(entries) >= max_entries:
            break
        if root_name == "feed":
            url = _atom_link(item, base_url)
            published = parse_date(element_text(child_named(item, "published", "issued")))
            updated = parse_date(element_text(child_named(item, "updated", "modified")))
            authors = _clean_authors(children_named(item, "author")) or feed_authors
        else:
            url = _rss_link(item, base_url)
            published = parse_date(element_text(child_named(item, "pubDate", "date")))
            updated = parse_date(element_text(child_named(item, "updated", "modified")))
            authors = _clean_authors(children_named(item, "author", "creator"))
        if url is None or url in entries:
            continue
        entries[url] = FeedEntry(url, _clean_title(child_named(item, "title")), published, updated, authors)
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
    if body[:2] == GZIP_MAGIC:
        head = gunzip(body[: _SNIFF_BYTES * 4], _SNIFF_BYTES, partial=True)
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

