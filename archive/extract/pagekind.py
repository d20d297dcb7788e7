"""Is this page an article? The not-an-article rules and their thresholds.

Owns the checks that give ``Extraction.reason``: the byte-level gate before any parsing
(not-html: binary magic / content type / markup sniffing; too-large: MAX_HTML_BYTES) and,
after extraction, the rules over the main text and the page tree, first match wins:
soft-404 (a "not found" title on a page with little text), no-text, listing (a page of
teaser cards: headline link + blurb), the caller's page kind, decode-error (garbled text), too-short (MIN_TEXT_CHARS,
CJK counted double). ``archive.extract.extractor`` applies them in that order.

Pure functions over plain data and lxml trees; no trafilatura import.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import urlsplit

from lxml.html import HtmlElement

from archive.extract.markup import _clean

# Non-article rules. Thresholds were checked against tests/data/corpus and shared/corpus.
MIN_TEXT_CHARS = 300  # less main text than this: "too-short" (briefs, galleries, video stubs)
CJK_CHAR_WEIGHT = 2  # a CJK character counts double against MIN_TEXT_CHARS (denser script)
MAX_HTML_BYTES = 5_000_000  # larger bodies: "too-large"; trafilatura is never called
SOFT404_MAX_CHARS = 1500  # a "not found" title with more text than this is a real article
LISTING_MIN_CARDS = 5  # a listing shows at least this many teasers (headline link + blurb),
LISTING_MIN_TEASER_SHARE = 0.5  # at least this share of its main text is in teasers,
LISTING_MAX_OWN_PROSE = 1000  # and fewer characters than this are outside its teasers.
TEASER_MAX_CHARS = 600  # a teaser card holds at most this much text
GARBLED_MAX_SHARE = 0.02  # more U+FFFD/control characters than this in the text: "decode-error"

HTML_TYPES = frozenset({"text/html", "application/xhtml+xml", "application/vnd.wap.xhtml+xml"})
# Types that say nothing about the payload: the bytes decide.
GENERIC_TYPES = frozenset({"", "application/octet-stream", "binary/octet-stream", "text/plain", "application/unknown"})
BINARY_MAGIC = (b"%PDF", b"\x89PNG", b"GIF8", b"\xff\xd8\xff", b"PK\x03\x04", b"\x1f\x8b", b"RIFF", b"ID3", b"OggS")
HTML_START = re.compile(rb"^\s*<(?:!doctype\s+html|html|head|body|meta|title|!--|div|p\b|script|link|\?xml)", re.I)
# "not found" only as a whole title segment: "Missing hiker not found after search" is news.
SOFT404_TITLE = re.compile(
    r"\b404\b|page not found|(?:^|[|:\-–—]\s*)not found\s*(?:$|[|:\-–—!.])|no longer (?:available|exists)"
    r"|page (?:does(?:n't| not) exist|(?:could not|cannot|can't) be found)|error page|file not found"
    r"|(?:can't|cannot|could not|couldn't) find (?:that|this|the) page|seite nicht gefunden"
    r"|page introuvable|página no encontrada",
    re.I,
)
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uff00-\uffef]")
_GARBLED = re.compile(r"[\ufffd\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _looks_like_html(body: bytes, content_type: str | None) -> bool:
    mime = (content_type or "").split(";")[0].strip().lower()
    head = body[:1024].lstrip(b"\xef\xbb\xbf\xff\xfe\x00 \t\r\n")
    if head.startswith(BINARY_MAGIC):
        return False  # mislabelled PDFs and images exist
    if mime in HTML_TYPES:
        return True
    return mime in GENERIC_TYPES and bool(HTML_START.match(head))


def _text_size(text: str) -> int:
    return len(text) + (CJK_CHAR_WEIGHT - 1) * len(_CJK.findall(text))


def _site(host: str) -> str:
    """Rough registrable domain: "www.people.com" → "people.com", "news.bbc.co.uk" → "bbc.co.uk"."""
    labels = host.lower().rstrip(".").split(".")
    keep = 3 if len(labels) >= 3 and len(labels[-2]) <= 3 and len(labels[-1]) == 2 else 2
    return ".".join(labels[-keep:])


def _is_headline_link(link: HtmlElement, site: str) -> bool:
    """A link to another page of the same site whose text reads like a headline (4+ words).
    Links to other sites (shops, sources) are never this outlet's headlines."""
    href = (link.get("href") or "").strip()
    if not href or href.startswith(("#", "javascript:", "mailto:")) or len(link.text_content().split()) < 4:
        return False
    try:
        host = urlsplit(href).hostname
    except ValueError:
        return False
    return host is None or _site(host) == site


def _teaser_card(el: HtmlElement, site: str) -> HtmlElement | None:
    """The small card (headline link + blurb) ``el`` belongs to, or None when it is prose.

    ``el`` is a teaser when it is itself mostly a headline link, or when an ancestor at most
    three levels up holds at most TEASER_MAX_CHARS of text and a headline link outside ``el``.
    Article paragraphs fail this: their container holds the whole (long) article.
    """
    own = len(_clean(el.text_content()) or "")
    links = [a for a in el.iter("a") if _is_headline_link(a, site)]
    if links and sum(len(_clean(a.text_content()) or "") for a in links) >= 0.8 * own:
        return el
    for anc in el.iterancestors("a"):
        return anc if _is_headline_link(anc, site) else None
    node = el
    for _ in range(3):
        node = node.getparent()
        if (node is None or node.tag in ("body", "main", "html")
                or len(_clean(node.text_content()) or "") > TEASER_MAX_CHARS):
            return None
        if any(a is not el and el not in a.iterancestors() and _is_headline_link(a, site) for a in node.iter("a")):
            return node
    return None


_TRACE_TAGS = (
    "p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "div", "span", "a", "time", "td", "dd", "dt",
    "blockquote", "figcaption", "section", "article", "header", "strong", "em", "b",
)


def _is_listing(tree: HtmlElement, text: str, url: str) -> bool:
    """A listing page: at least LISTING_MIN_CARDS teaser cards make up at least
    LISTING_MIN_TEASER_SHARE of the main text, and less than LISTING_MAX_OWN_PROSE
    characters of it are outside them.

    Each line of trafilatura's text is traced back to the page element with the same text.
    Tracing stops as soon as the prose outside cards rules a listing out, so an article costs
    a few paragraphs of tracing, not the whole page.
    """
    lines = [_clean(line.removeprefix("- ")) or "" for line in text.split("\n")]
    total = sum(len(line) for line in lines)
    if not total:
        return False
    # A line longer than a whole teaser card is never in one.
    prose = sum(len(line) for line in lines if len(line) > TEASER_MAX_CHARS)
    if prose >= LISTING_MAX_OWN_PROSE or prose > (1 - LISTING_MIN_TEASER_SHARE) * total:
        return False
    wanted = {"".join(line.split()) for line in lines if 0 < len(line) <= TEASER_MAX_CHARS}
    index: dict[str, HtmlElement] = {}
    for el in tree.iter(*_TRACE_TAGS):
        raw = el.text_content()
        if len(raw) > 20 * TEASER_MAX_CHARS:
            continue  # page-wide containers: far longer than any line
        # Keys without whitespace: trafilatura puts spaces between inline blocks, lxml not.
        key = "".join(raw.split())
        if key in wanted:
            index[key] = el  # document order: the innermost element with this text wins
    site = _site(urlsplit(url).hostname or "")
    # The elements themselves, not id(): lxml proxies die with their last reference and a
    # recycled id() would merge distinct cards.
    cards: set[HtmlElement] = set()
    for line in lines:
        if len(line) > TEASER_MAX_CHARS or not line:
            continue
        el = index.get("".join(line.split()))
        card = _teaser_card(el, site) if el is not None else None
        if card is None:
            prose += len(line)
            if prose >= LISTING_MAX_OWN_PROSE or prose > (1 - LISTING_MIN_TEASER_SHARE) * total:
                return False
        else:
            cards.add(card)
    return len(cards) >= LISTING_MIN_CARDS


def _not_article_reason(
    text: str, titles: list[str | None], tree: HtmlElement, url: str, min_chars: int = MIN_TEXT_CHARS,
    page_kind: Callable[[], str | None] | None = None,
) -> str | None:
    """The first rule that says "not an article", or None. Order: most specific first.

    ``min_chars`` is passed by ``archive.extract.extractor`` so that its ``MIN_TEXT_CHARS`` stays the
    one setting for both trafilatura's precision/balanced switch and "too-short"."""
    if any(t and SOFT404_TITLE.search(t) for t in titles) and len(text) <= SOFT404_MAX_CHARS:
        return "soft-404"
    if not text:
        return "no-text"
    if _is_listing(tree, text, url):
        return "listing"
    kind = page_kind() if page_kind else None  # archive.extract.sitepages: about, author, gallery...
    if kind:
        return kind
    if len(_GARBLED.findall(text)) > GARBLED_MAX_SHARE * len(text):
        return "decode-error"  # binary or wrongly decoded bytes: replacement/control characters
    if _text_size(text) < min_chars:
        return "too-short"
    return None
