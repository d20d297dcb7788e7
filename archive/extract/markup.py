"""HTML pages without trafilatura: decoding the bytes, and the metadata the markup declares.

Owns ``decode_html`` (BOM, Content-Type / ``<meta>`` charset, UTF-8 sniffing), the "same
content" normalisation and ``content_hash``, and what lxml reads from the parsed tree: meta
tags, JSON-LD, page dates, cleaned author names, the title (site name cut), language and the
canonical URL. ``archive.extract.extractor`` combines these with trafilatura's (order described there).
"""

from __future__ import annotations

import codecs
import hashlib
import json
import re
import unicodedata
import warnings
from collections.abc import Iterable
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urljoin, urlsplit

from dateutil import parser as dateparser
from lxml.html import HtmlElement

# Thresholds were checked against tests/data/corpus and shared/corpus.
TITLE_MIN_OVERLAP = 0.6  # an <h1> sharing this share of words with og:title/<title> is the title
SNIFF_BYTES = 4096  # how far to look for <meta charset> (browsers: 1024; CMS heads are long)

# JSON-LD @type words of an article: NewsArticle, BlogPosting, ReportageNewsArticle, Review...
ARTICLE_LD_TYPES = ("article", "posting", "report", "review")
# Meta name/property/itemprop keys, best first (compared lower-cased).
PUBLISHED_KEYS = (
    "article:published_time", "og:article:published_time", "og:published_time", "article:published",
    "datepublished", "parsely-pub-date", "sailthru.date", "publish-date", "publishdate",
    "publication_date", "pubdate", "dc.date.issued", "dcterms.issued", "dc.date", "dcterms.created",
    "date", "article.published", "originalpublicationdate",
)
MODIFIED_KEYS = (
    "article:modified_time", "og:article:modified_time", "og:updated_time", "datemodified",
    "dc.date.modified", "dcterms.modified", "article.updated", "lastmod", "last-modified",
)
AUTHOR_META_KEYS = ("author", "article:author", "byl", "parsely-author", "sailthru.author", "dc.creator",
                    "dcterms.creator")
TITLE_META_KEYS = ("og:title", "twitter:title")
# Hints from these sources carry a publication date; a plain sitemap's lastmod is not one.
DATED_HINT_SOURCES = frozenset({"news-sitemap", "feed"})

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
# Zone abbreviations seen in bylines/meta. US "ET"/"CT"/"MT"/"PT" are ambiguous: standard time.
_TZ_NAMES = {
    name: int(hours * 3600)
    for names, hours in (
        (("UTC", "GMT", "WET"), 0), (("BST", "CET", "WEST"), 1), (("CEST", "EET"), 2), (("EEST", "MSK"), 3),
        (("IST",), 5.5), (("JST", "KST"), 9), (("AEST",), 10), (("AEDT",), 11),
        (("EDT",), -4), (("EST", "ET", "CDT"), -5), (("CST", "CT", "MDT"), -6),
        (("MST", "MT", "PDT"), -7), (("PST", "PT"), -8),
    )
    for name in names
}
_WORD = re.compile(r"\w+")
_HAS_TIME = re.compile(r"\d{1,2}:\d{2}")
_TZ_OFFSET = re.compile(r"(?:[+-]\d{2}:?\d{2}|Z)$")
_TITLE_SEPARATORS = re.compile(r"\s+[|\-–—•·»:]+\s+|\s*[|｜：_]\s*")
_AUTHOR_SPLIT = re.compile(r"\s*(?:;|,|\||·|\band\b|&|\bund\b|\bet\b|\by\b)\s*", re.I)
_BY_PREFIX = re.compile(r"^\s*(?:(?:written|posted|reported|words)\s+)?(?:by|von|par|por|door|di)\b\s*[:\-]?\s*", re.I)
_NOT_A_NAME = re.compile(r"https?:|www\.|://|@|\.com\b|\d|[<>{}\[\]=]", re.I)
# Words after which a byline stops being a name: roles and page furniture.
_BYLINE_STOP = frozenset(
    "senior editor editors reporter correspondent writer contributor contributing columnist fellow staff "
    "producer chief deputy managing associate executive special link copied see full bio updated published "
    "posted follow email lesedauer username".split()
)
_GENERIC_HOST_LABELS = frozenset("www com net org edu gov news blog blogs edition amp mobile".split())
_MONTHS = frozenset(
    "january february march april may june july august september october november december "
    "jan feb mar apr jun jul aug sep sept oct nov dec".split()
)


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
    """name/property/itemprop/http-equiv (lower-cased) → content values, in page order."""
    found: dict[str, list[str]] = {}
    for el in tree.iter("meta"):
        # "value" instead of "content": seen in saved fixtures and some CMS templates.
        content = _clean(el.get("content") or el.get("value"))
        if not content:
            continue
        for attr in ("property", "name", "itemprop", "http-equiv"):
            key = el.get(attr)
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


def _is_article_type(obj: dict[str, Any]) -> bool:
    types = obj.get("@type")
    names = types if isinstance(types, list) else [types]
    return any(isinstance(t, str) and any(word in t.lower() for word in ARTICLE_LD_TYPES) for t in names)


def _parse_date(value: Any) -> tuple[datetime, bool] | None:
    """(tz-aware datetime, has a time of day) or None. Naive times are taken as UTC."""
    value = _clean(value)
    if not value or len(value) > 64:
        return None
    try:
        parsed = dateparser.isoparse(value)
    except (ValueError, OverflowError):
        try:
            with warnings.catch_warnings():  # unknown zone names: dateutil warns, we go naive
                warnings.simplefilter("ignore")
                parsed = dateparser.parse(value, tzinfos=_TZ_NAMES)
        except (ValueError, OverflowError, TypeError):
            return None
    has_time = bool(_HAS_TIME.search(value))
    if not has_time:
        parsed = parsed.replace(hour=0, minute=0, second=0, tzinfo=timezone.utc)
    elif parsed.tzinfo is None or parsed.utcoffset() is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    # Sanity window: the web press, and no more than a couple of days ahead of now.
    if parsed.year < 1990 or (parsed - datetime.now(timezone.utc)).days > 2:
        return None
    return parsed.replace(microsecond=0), has_time


def _page_dates(
    tree: HtmlElement, meta: dict[str, list[str]], ld: list[dict[str, Any]], keys: tuple[str, ...], ld_key: str
) -> list[tuple[datetime, bool]]:
    """Date candidates from the page, best first: meta tags, JSON-LD, itemprop, <time>."""
    raw: list[Any] = [value for key in keys for value in meta.get(key, ())]
    raw.extend(obj.get(ld_key) for obj in ld)
    raw.extend(el.get("datetime") or el.get("content") or el.get("value")
               for el in tree.xpath(f'//*[@itemprop="{ld_key}"]'))
    if ld_key == "datePublished":
        raw.extend(tree.xpath("//time[@pubdate]/@datetime"))
        articles = tree.xpath("//article")
        if len(articles) == 1:  # one article: its first <time> is its own, not a teaser's
            raw.extend(articles[0].xpath(".//time/@datetime")[:1])
    return [parsed for parsed in map(_parse_date, raw) if parsed]


def _trafilatura_date(value: str | None) -> tuple[datetime, bool] | None:
    """htmldate's answer, asked for as a timestamp: kept whole only with a UTC offset (a
    naive time is the page's unknown local time), otherwise its day. A 1 January midnight
    is htmldate's copyright-year fallback, not a publication date: dropped."""
    if not value:
        return None
    if value[4:] == "-01-01T00:00:00" or value[4:10] == "-01-01" and len(value) == 10:
        return None
    return _parse_date(value if _TZ_OFFSET.search(value) else value[:10])


def _pick_published(page: list[tuple[datetime, bool]], trafilatura_date: str | None,
                    hints: dict[str, Any]) -> str | None:
    """Page timestamp → trafilatura (htmldate) → a page day → the hint (see the module docstring)."""
    candidates = [c for c in page if c[1]] + [c for c in [_trafilatura_date(trafilatura_date)] if c] + page
    best = candidates[0] if candidates else None
    hint = None
    if hints.get("source", "news-sitemap") in DATED_HINT_SOURCES:
        hint = _parse_date(hints.get("published"))
    if hint and (best is None or (not best[1] and hint[1] and hint[0].date() == best[0].date())):
        best = hint  # no page date, or the hint has the time of day the page's date lacks
    return best[0].isoformat() if best else None


def _clean_authors(values: Iterable[Any]) -> list[str]:
    """Split "By A, B and C; D" into names; cut roles/furniture; drop URLs, e-mails, non-names."""
    names: list[str] = []
    seen: set[str] = set()
    for value in values:
        value = _clean(value)
        if not value:
            continue
        for part in _AUTHOR_SPLIT.split(_BY_PREFIX.sub("", value)):
            words = _BY_PREFIX.sub("", part.strip(" .:-–—|·•")).split()
            for i, word in enumerate(words):
                lowered = word.lower().strip(".,")
                # Roles and page furniture end a byline ("Sam Stein Senior Politics Editor",
                # "Steven Shepard Link Copied"); so does an all-caps tail after a mixed-case
                # name ("Meg Wagner NEW YORK DAILY NEWS").
                if (lowered in _BYLINE_STOP and lowered not in _MONTHS) or (
                    i >= 2 and word.isupper() and len(word) > 1 and not words[0].isupper()
                ):
                    words = words[:i]
                    break
            # A trailing date fragment ("Joshua Sokol May"); "Theresa May" keeps hers.
            if words and words[-1].lower().strip(".,") in _MONTHS and (len(words) >= 3 or len(words) == 1):
                words = words[:-1]
            name = " ".join(words)
            if not name or len(name) > 60 or len(words) > 6 or _NOT_A_NAME.search(name):
                continue
            if not any(ch.isalpha() for ch in name) or name.lower() == name != name.upper():
                continue  # no letters, or all lower-case ("staff", "admin"): not a byline name
            if name.casefold() not in seen:
                seen.add(name.casefold())
                names.append(name)
    return names


def _ld_author_names(ld: list[dict[str, Any]]) -> list[Any]:
    for obj in ld:
        if not _is_article_type(obj):
            continue
        authors = obj.get("author")
        listed = authors if isinstance(authors, list) else [authors]
        names = [a.get("name") if isinstance(a, dict) else a for a in listed]
        if any(isinstance(n, str) for n in names):
            return names
    return []


def _site_keys(url: str, site_names: Iterable[str | None]) -> set[str]:
    """Lower-case alphanumeric forms of the site's names, to recognise "… | Site" in titles."""
    host = (urlsplit(url).hostname or "").lower()
    keys = {label for label in host.split(".") if len(label) >= 3 and label not in _GENERIC_HOST_LABELS}
    keys.update(re.sub(r"\W", "", name.lower()) for name in site_names if name)
    return {key for key in keys if key}


def _strip_site(title: str, site_keys: set[str]) -> str:
    """Cut leading/trailing title segments that name the site ("… - BBC News", "TechCrunch | …")."""
    parts = _TITLE_SEPARATORS.split(title)
    seps = _TITLE_SEPARATORS.findall(title)

    def names_site(segment: str) -> bool:
        key = re.sub(r"\W", "", segment.lower())
        if len(key) < 3 or len(segment.split()) > 5:
            return False
        return any(k in key or key in k for k in site_keys)

    while len(parts) > 1 and names_site(parts[-1]):
        parts.pop()
        seps.pop()
    while len(parts) > 1 and names_site(parts[0]):
        parts.pop(0)
        seps.pop(0)
    rebuilt = parts[0]
    for sep, part in zip(seps, parts[1:]):
        rebuilt += sep + part
    return rebuilt.strip() or title


def _pick_title(
    tree: HtmlElement,
    meta: dict[str, list[str]],
    ld: list[dict[str, Any]],
    trafilatura_title: str | None,
    site_keys: set[str],
    hints: dict[str, Any],
) -> str | None:
    declared = [v for key in TITLE_META_KEYS for v in meta.get(key, ())]
    declared += [h for h in (_clean(o.get("headline")) for o in ld if _is_article_type(o)) if h]
    title_el = tree.find(".//title")
    page_title = _clean(title_el.text_content()) if title_el is not None else None
    stripped = [_strip_site(t, site_keys) for t in declared + ([page_title] if page_title else [])]
    # The visible headline wins when the metadata confirms it: the same text, or (sites
    # shorten og:title for sharing) mostly the same words. Other <h1>s are logos/sections.
    h1s = [t for t in (_clean(h1.text_content()) for h1 in tree.iter("h1")) if t]
    agreed = {normalise_text(t) for t in declared + stripped}
    for text in h1s:
        if normalise_text(text) in agreed:
            return text
    for text in h1s:
        words = set(_WORD.findall(text.casefold()))
        for other in (set(_WORD.findall(t.casefold())) for t in stripped):
            if len(words) >= 3 and other and len(words & other) >= TITLE_MIN_OVERLAP * min(len(words), len(other)):
                return text
    # What the page declares, then the publisher's feed/sitemap title, then trafilatura's guess
    # (a lone <h1>, a "title" class, or the first <h2>).
    for candidate in (*stripped[: len(declared)], page_title, _clean(hints.get("title")), trafilatura_title):
        if candidate:
            return _strip_site(candidate, site_keys)
    return None


def _language(tree: HtmlElement, meta: dict[str, list[str]], fallback: str | None) -> str | None:
    candidates = [tree.get("lang"), tree.get("{http://www.w3.org/XML/1998/namespace}lang")]
    for key in ("og:locale", "content-language", "language", "dc.language", "inlanguage"):
        candidates.extend(meta.get(key, ()))
    candidates.append(fallback)
    for value in candidates:
        code = re.split(r"[-_,;\s]", value.strip().lower())[0] if value else ""
        if len(code) == 2 and code.isascii() and code.isalpha():
            return code
    return None


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
