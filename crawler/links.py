"""HTML link work: feed links announced in a page, its anchors, and URL classification.

This module owns reading an HTML page for URLs worth crawling: ``find_feed_links`` (the
RSS/Atom ``<link rel="alternate">`` hrefs), ``extract_links`` (every ``<a href>``) and
``classify_url`` (the article/listing/other hint that steers link following). Robots.txt,
sitemaps and feeds are parsed in ``crawler.discovery``. It is pure: no Scrapy, no Twisted,
no I/O, so the spider stays a thin adapter and everything here is unit-testable.

Hostile-input stance: pages come from the open web. HTML is parsed in recover mode without
network access, and a page that cannot be parsed yields no links rather than an exception.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

from lxml import etree

from archive.times import parse_aware
from archive.urls import canonicalize

# One definition of "a usable absolute http(s) URL" for sitemaps, feeds and pages alike.
from crawler.safexml import absolute_url

# --------------------------------------------------------------------------- HTML links


_META_CHARSET = re.compile(rb"<meta[^>]+charset", re.I)
_FEED_TYPES = frozenset({"application/rss+xml", "application/atom+xml"})


def _html_root(html: bytes | str) -> etree._Element | None:
    if isinstance(html, str):
        html = html.encode("utf-8")
    encoding = None
    if not _META_CHARSET.search(html[:8192]):
        # libxml2 assumes Latin-1 without a declared charset; modern pages are UTF-8.
        try:
            html.decode("utf-8")
            encoding = "utf-8"
        except UnicodeDecodeError:
            pass
    parser = etree.HTMLParser(encoding=encoding, recover=True, no_network=True,
                              remove_comments=True, remove_pis=True)
    try:
        root = etree.fromstring(html, parser)
    except (etree.LxmlError, ValueError, LookupError, UnicodeError):
        return None
    return root if root is not None and isinstance(root.tag, str) else None


def _document_base(root: etree._Element, base_url: str) -> str:
    for base in root.iter("base"):
        href = base.get("href")
        if href and href.strip():
            return absolute_url(href, base_url) or base_url
    return base_url


def find_feed_links(html: bytes, base_url: str) -> list[str]:
    """``<link rel="alternate" type="application/rss+xml|atom+xml">`` hrefs, absolute, unique."""
    root = _html_root(html)
    if root is None:
        return []
    base = _document_base(root, base_url)
    found: dict[str, None] = {}
    for link in root.iter("link"):
        rels = (link.get("rel") or "").lower().split()
        mime = (link.get("type") or "").split(";")[0].strip().lower()
        if "alternate" in rels and mime in _FEED_TYPES:
            url = absolute_url(link.get("href"), base)
            if url:
                found.setdefault(url, None)
    return list(found)


def extract_links(html: bytes, base_url: str) -> list[str]:
    """Every ``<a href>`` as an absolute http(s) URL without fragment, in order, deduplicated.

    rel=nofollow links are kept on purpose: whether to follow is decided by crawl policy.
    """
    return [link.url for link in extract_link_cards(html, base_url)]


@dataclass(frozen=True)
class Link:
    """A link of a listing page, with the date its teaser card shows (ISO 8601), if any."""

    url: str
    updated: str | None = None


# A teaser card: the element around a headline link that holds that story's byline and date.
_CARD_TAGS = frozenset({"article", "li"})
_CARD_CLASS = re.compile(r"(?:^|[\s_-])(?:teaser|card|story|post)(?:$|[\s_-])", re.I)


def _card_of(anchor: etree._Element) -> etree._Element | None:
    for element in anchor.iterancestors():
        if not isinstance(element.tag, str) or element.tag in ("body", "html"):
            return None
        if element.tag in _CARD_TAGS or _CARD_CLASS.search(element.get("class") or ""):
            return element
    return None


def _card_date(card: etree._Element | None) -> str | None:
    """The one ``<time datetime>`` of a card, as ISO 8601; None when it has none or several."""
    if card is None:
        return None
    values = {(t.get("datetime") or "").strip() for t in card.iter("time")} - {""}
    if len(values) != 1:
        return None  # no date, or a card of several stories: no date belongs to one link
    when = parse_aware(values.pop(), assume_utc=True)
    # Whole seconds: a teaser's date is what the page shows; sub-second digits only differ from
    # the feed's or sitemap's copy of the same date, and would read as an edit (a newer date).
    return when.replace(microsecond=0).isoformat() if when else None


def extract_link_cards(html: bytes, base_url: str) -> list[Link]:
    """``extract_links`` with each link's teaser date: the ``<time datetime>`` inside the same
    ``<article>``/``<li>``/teaser card as the link (the first occurrence of a URL wins)."""
    root = _html_root(html)
    if root is None:
        return []
    base = _document_base(root, base_url)
    found: dict[str, Link] = {}
    for anchor in root.iter("a"):
        href = (anchor.get("href") or "").strip()
        if href.startswith("#"):  # same-page anchor, never a new page
            continue
        url = absolute_url(href, base)
        if url and url not in found:
            found[url] = Link(url, _card_date(_card_of(anchor)))
    return list(found.values())


# --------------------------------------------------------------------------- AMP and print copies


_COPY_PARAMS = {"amp": "1", "outputtype": "amp", "print": "1"}


def copy_of(url: str) -> str | None:
    """The article URL an AMP or print copy stands for (``/amp/x``, ``x/amp``, ``x?amp=1``,
    ``x?outputType=amp``, ``x?print=1``); None when ``url`` is no such copy."""
    try:
        parts = urlsplit(url)
        query = parse_qsl(parts.query, keep_blank_values=True)
    except ValueError:
        return None
    kept = [(k, v) for k, v in query if _COPY_PARAMS.get(k.lower()) != v.lower()]
    path = parts.path
    if path.startswith("/amp/"):
        path = path[len("/amp"):]
    elif path.rstrip("/").endswith("/amp"):
        path = path.rstrip("/")[: -len("/amp")] or "/"
    if path == parts.path and len(kept) == len(query):
        return None
    return urlunsplit((parts.scheme, parts.netloc, path, urlencode(kept), ""))


def is_amp_url(url: str) -> bool:
    """An AMP copy's URL (``/amp`` path end, ``amp=1``, ``outputType=amp``): an article link."""
    parts = urlsplit(url)
    return parts.path.rstrip("/").endswith("/amp") or "amp=1" in parts.query or "outputType=amp" in parts.query


def without_copies(urls: list[str]) -> list[str]:
    """``urls`` less the AMP/print copies of articles that are linked themselves."""
    originals = {canonicalize(u) for u in urls if copy_of(u) is None}
    return [u for u in urls if (original := copy_of(u)) is None or canonicalize(original) not in originals]


# --------------------------------------------------------------------------- URL classification


_ASSET_EXT = frozenset(
    "css js mjs json map png jpg jpeg gif svg webp avif ico bmp tif tiff pdf xml rss atom rdf "
    "txt csv zip gz mp3 mp4 m4a m3u8 webm mov avi woff woff2 ttf otf eot".split()
)
_FEED_SEGMENTS = frozenset({"feed", "feeds", "rss", "rss2", "atom"})
_OTHER_FIRST = frozenset(
    "login signin sign-in logout register signup sign-up account my-account subscribe subscription "
    "subscriptions privacy privacy-policy terms terms-of-use terms-of-service tos about about-us "
    "contact contact-us newsletter newsletters video videos cookie-policy cookies accessibility "
    "careers jobs advertise advertising wp-admin wp-login.php wp-json cart checkout help faq legal "
    "sitemap".split()
)
_LISTING_SEGMENTS = frozenset(
    "tag tags category categories topic topics author authors section sections search latest "
    "archive archives page".split()
)
# Penske Media sites (Variety, Deadline, THR, Rolling Stone) use /t/ tags, /c/ categories, /v/ verticals.
_LISTING_FIRST = frozenset({"t", "c", "v"})
_PAGE_PARAMS = frozenset({"page", "paged", "pg", "s", "q", "query", "search"})
_PAGE_EXT = re.compile(r"\.(?:html?|shtml|php|aspx?)$")
_YEAR = re.compile(r"^(?:19|20)\d\d$")
_MONTH_OR_DAY = re.compile(r"^\d{1,2}$")
_LONG_ID = re.compile(r"(?:^|-)\d{5,}(?:$|-)")


def _words(segment: str) -> list[str]:
    return [w for w in re.split(r"[-_]+", _PAGE_EXT.sub("", segment)) if w]


def _is_slug(segment: str, min_words: int) -> bool:
    words = _words(segment)
    return len(words) >= min_words and sum(any(c.isalpha() for c in w) for w in words) >= 2


def classify_url(url: str) -> str:
    """Heuristic "article" | "listing" | "other" from the URL path: a link-following hint only."""
    try:
        parts = urlsplit(url)
        segments = [s for s in unquote(parts.path).lower().split("/") if s]
        query = {k.lower() for k, _ in parse_qsl(parts.query)}
    except ValueError:
        return "other"
    if not segments:
        return "listing"
    last = segments[-1]
    ext = last.rsplit(".", 1)[-1] if "." in last else ""
    if ext in _ASSET_EXT or last in _FEED_SEGMENTS or segments[0] in _OTHER_FIRST:
        return "other"
    if segments[0] in _LISTING_FIRST or any(s in _LISTING_SEGMENTS for s in segments):
        return "listing"
    # Date archives: /2024/, /2024/05/, /2024/05/17/ — a date followed by a slug is an article.
    for i, seg in enumerate(segments):
        if _YEAR.match(seg):
            rest = segments[i + 1 :]
            while rest and _MONTH_OR_DAY.match(rest[0]):
                rest = rest[1:]
            if not rest:
                return "listing"
            if any(re.search(r"[a-z]", s) or _LONG_ID.search(s) for s in rest):
                return "article"
            break
    if _is_slug(last, 3):
        return "article"
    has_id = any(_LONG_ID.search(s) for s in segments)
    if has_id and any(_is_slug(s, 2) for s in segments):
        return "article"
    if _PAGE_EXT.search(last) and _is_slug(last, 2):
        return "article"
    if query & _PAGE_PARAMS:
        return "listing"
    # Short section paths (/film/, /tv/, /reviews/albums/) are section fronts.
    if len(segments) <= 3 and all(re.fullmatch(r"[a-z][a-z&+-]*", s) for s in segments):
        return "listing"
    return "other"
