"""HTML pages without trafilatura: decoding the bytes, and the metadata the markup declares.

Owns ``decode_html`` (BOM, Content-Type / ``<meta>`` charset, UTF-8 sniffing), the "same
content" normalisation and ``content_hash``, and what lxml reads from the parsed tree: meta
tags, JSON-LD, the canonical URL, which elements hold the article (``article_elements``) and
which are page furniture around it (``in_furniture``: sidebars, teasers, comments, picture
credits). Titles, bylines, dates and language have their own modules (``titles``, ``bylines``,
``dates``, ``language``); ``archive.extract.extractor`` combines them.
"""

from __future__ import annotations

import codecs
import hashlib
import json
import re
import unicodedata
from typing import Any
from urllib.parse import urljoin, urlsplit

from lxml.html import HtmlElement

SNIFF_BYTES = 4096  # how far to look for <meta charset> (browsers: 1024; CMS heads are long)

# JSON-LD @type words of an article: NewsArticle, BlogPosting, ReportageNewsArticle, Review...
ARTICLE_LD_TYPES = ("article", "posting", "report", "review")
_CHARSET_IN_HEADER = re.compile(r"charset\s*=\s*[\"']?\s*([\w.:+-]+)", re.I)
_CHARSET_IN_META = re.compile(rb"<meta[^>]{0,512}?charset\s*=\s*[\"']?\s*([\w.:+-]+)", re.I)
# WHATWG: these labels mean a superset encoding in practice.
_ENCODING_ALIASES = {
    "iso8859-1": "cp1252", "ascii": "cp1252", "latin-1": "cp1252", "iso8859-9": "cp1254",
    "gb2312": "gb18030", "gbk": "gb18030", "euc_kr": "cp949", "shift_jis": "cp932",
    "utf-16": "utf-8", "utf-16-le": "utf-8", "utf-16-be": "utf-8",  # an HTML meta can't mean UTF-16
}
_BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))
_SINGLE_BYTE = re.compile(r"^(cp125\d|iso8859-\d+|latin|koi8|mac)")
_CDATA = re.compile(r"^\s*(?://\s*)?<!\[CDATA\[|(?://\s*)?\]\]>\s*$")
_WS = re.compile(r"\s+")
_INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u200b\u200c\u200d\u2060\ufeff"))


# --------------------------------------------------------------------------- text and hashing


def normalise_text(text: str) -> str:
    """The text as compared for "same content": NFKC, invisible characters dropped,
    whitespace collapsed, casefolded. Markup or spacing changes do not change it."""
    text = unicodedata.normalize("NFKC", text).translate(_INVISIBLE)
    return _WS.sub(" ", text).strip().casefold()


def content_hash(text: str) -> str:
    """sha256 hex of the normalised text; "" when there is no text."""
    norm = normalise_text(text)
    return hashlib.sha256(norm.encode("utf-8")).hexdigest() if norm else ""


def _clean(value: Any) -> str | None:
    return _WS.sub(" ", value).strip() or None if isinstance(value, str) else None


# --------------------------------------------------------------------------- decoding


def _codec(label: str | None) -> str | None:
    try:
        name = codecs.lookup(label.strip().strip("\"'")).name if label else None
    except LookupError:
        return None
    return _ENCODING_ALIASES.get(name, name) if name else None


def _is_utf8_with_non_ascii(body: bytes) -> bool:
    if body.isascii():
        return False
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def decode_html(body: bytes, content_type: str | None) -> str:
    """Decode an HTML body; never raises.

    Order: a BOM (unambiguous, as in browsers), the Content-Type charset, ``<meta charset>`` /
    ``http-equiv`` in the first 4 KB, UTF-8 if valid, cp1252. A declared charset is skipped
    when the bytes do not decode with it, or when it is a single-byte encoding but the bytes
    are valid multi-byte UTF-8 (which it would turn into mojibake such as "cafÃ©").
    """
    for bom, bom_encoding in _BOMS:
        if body.startswith(bom):
            return body[len(bom):].decode(bom_encoding, "replace")
    match = _CHARSET_IN_HEADER.search(content_type or "")
    header = _codec(match.group(1)) if match else None
    meta_match = _CHARSET_IN_META.search(body[:SNIFF_BYTES])
    meta = _codec(meta_match.group(1).decode("ascii", "replace")) if meta_match else None
    utf8_text = _is_utf8_with_non_ascii(body)
    candidates: tuple[str | None, ...] = (header, meta, "utf-8", "cp1252")
    for encoding in candidates:
        if encoding is None or (utf8_text and encoding != "utf-8" and _SINGLE_BYTE.match(encoding)):
            continue
        try:
            return body.decode(encoding)
        except (UnicodeDecodeError, LookupError):
            continue
    return body.decode(meta or "cp1252", "replace")


# --------------------------------------------------------------------------- page metadata (lxml)


def _meta_values(tree: HtmlElement) -> dict[str, list[str]]:
    """name/property/itemprop/http-equiv (lower-cased) → content values, in page order. An itemprop
    inside a picture's or video's microdata is that object's ("<meta itemprop=author content="(Image:
    Getty Images)">" in an ImageObject), not the page's."""
    found: dict[str, list[str]] = {}
    for el in tree.iter("meta"):
        # "value" instead of "content": seen in saved fixtures and some CMS templates.
        content = _clean(el.get("content") or el.get("value"))
        if not content:
            continue
        for attr in ("property", "name", "itemprop", "http-equiv"):
            key = el.get(attr)
            if key and attr == "itemprop" and _in_media_object(el):
                continue
            if key:
                found.setdefault(key.strip().lower(), []).append(content)
    return found


def _json_ld_objects(tree: HtmlElement) -> list[dict[str, Any]]:
    """Every JSON-LD object (``@graph``/``mainEntity``/lists flattened), article types first."""
    objects: list[dict[str, Any]] = []

    def walk(node: Any) -> None:
        if isinstance(node, list):
            for item in node:
                walk(item)
        elif isinstance(node, dict):
            objects.append(node)
            walk(node.get("@graph"))
            walk(node.get("mainEntity"))

    for script in tree.xpath('//script[contains(translate(@type, "LDJSON", "ldjson"), "ld+json")]'):
        raw = _CDATA.sub("", script.text or "").strip()
        try:
            walk(json.loads(raw or "null", strict=False))
        except ValueError:
            continue  # broken JSON-LD is common; the rest of the page still counts
    return sorted(objects, key=lambda obj: not _is_article_type(obj))


def text_before(el: HtmlElement, limit: int) -> str:
    """The text just before an element, up to ``limit`` characters: a label such as "Updated" or
    "Illustration by" (the previous sibling's tail, or its text when the tail is blank, else the
    parent's own text)."""
    previous = el.getprevious()
    parent = el.getparent()
    before = (previous.tail if previous is not None else parent.text if parent is not None else None) or ""
    if previous is not None and not before.strip():
        before = previous.text_content()  # "<span>Updated</span> <time>"
    return before[-limit:]


def _is_article_type(obj: dict[str, Any]) -> bool:
    types = obj.get("@type")
    names = types if isinstance(types, list) else [types]
    return any(isinstance(t, str) and any(word in t.lower() for word in ARTICLE_LD_TYPES) for t in names)












def _canonical(tree: HtmlElement, meta: dict[str, list[str]], url: str) -> str | None:
    base = url
    for href in tree.xpath("//base/@href")[:1]:
        base = urljoin(url, href.strip())
    candidates = [
        el.get("href") for el in tree.iter("link")
        if "canonical" in (el.get("rel") or "").lower().split() and el.get("href")
    ]
    for href in candidates + meta.get("og:url", []):
        try:
            absolute = urljoin(base, href.strip())
            parts = urlsplit(absolute)
        except ValueError:
            continue
        if parts.scheme in ("http", "https") and parts.netloc:
            return str(absolute)
    return None


def article_elements(tree: HtmlElement) -> list[HtmlElement]:
    """The elements that hold the article itself: those marked ``itemprop=articleBody``, else the
    ``<article>`` elements (several when the page lists teasers as articles too); [] without."""
    return tree.xpath('//*[@itemprop="articleBody"]') or tree.xpath("//article")  # type: ignore[no-any-return]


# Containers of other stories' teasers, and "comment" (readers' names, not the writer's).
TEASER_CLASSES = ("sidebar", "related", "widget", "comment", "teaser", "promo", "recirc", "summary-item",
                  "more-stories", "most-popular", "trending", "applet")
_MEDIA_TYPES = ("ImageObject", "VideoObject", "Photograph", "MediaObject")  # their author is the photographer


def _is_media_object(node: HtmlElement) -> bool:
    return (node.get("itemtype") or "").endswith(_MEDIA_TYPES)


def _in_media_object(el: HtmlElement) -> bool:
    return any(_is_media_object(node) for node in el.iterancestors())


def in_furniture(el: HtmlElement) -> bool:
    """The element sits in page furniture around the article: navigation, a sidebar or related-
    stories widget or the comments (by class or a schema.org Comment), or an <aside>/<footer> of
    the page itself. A byline there is another story's or a reader's. A picture's credit (in a
    <figure>, or a schema.org ImageObject's author) is the photographer's. (An <aside> or <footer>
    inside the <article>/<main> is the article's own meta column: the Guardian's byline, a
    WordPress article footer.) An <article> inside another is, as HTML defines it, a related story
    or a reader's comment: its byline is not the outer article's."""
    page_level = False  # inside an <aside>/<footer> that no <article>/<main> holds
    articles = 0
    for node in el.iterancestors():
        tag = node.tag.lower() if isinstance(node.tag, str) else ""
        if tag in ("body", "html"):
            break  # "layout--with-sidebar" on <body> describes the page, not a teaser
        if tag in ("figure", "figcaption") or _is_media_object(node):
            return True
        if tag == "article":
            articles += 1
            if articles == 2:
                return True  # an <article> inside an <article>: a related story or a comment (HTML spec)
        if tag in ("article", "main"):
            page_level = False
        elif tag in ("aside", "footer"):
            page_level = True
        if tag == "nav" or any(t.startswith(TEASER_CLASSES) for t in (node.get("class") or "").lower().split()):
            return True
        if (node.get("itemtype") or "").endswith("Comment"):
            return True
    return page_level
