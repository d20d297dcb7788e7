"""Article extraction: the entry point and trafilatura adapter (the only module that imports trafilatura).

Owns turning one archived HTTP response body into an :class:`Extraction`: it runs the gate
and the not-an-article rules of ``archive.extract.pagekind``, trafilatura's text and metadata, and
combines them with what ``archive.extract.markup`` reads from the page's own markup (decoding,
meta tags, JSON-LD, dates, authors, title, language, canonical URL).

Plain data in, plain data out, no global state: ``extract_page`` runs in a
``ProcessPoolExecutor`` during a crawl and again later over stored WARC records
(``pressclips reextract``). It never raises for a bad page: that comes back as
``is_article=False`` with a ``reason``.

Where trafilatura is weak the page's own markup is read with lxml (cheap, same tree):
  title      an <h1> that og:title / JSON-LD headline / <title> confirm → og:title,
             twitter:title, headline → <title> → the discovery hint → trafilatura's guess;
             a " | Site Name" segment is cut when it names the site.
  published  a timestamp from meta tags / JSON-LD / <time> → trafilatura's htmldate →
             a day-only value from the page → the discovery hint (news sitemap, feed).
  authors    JSON-LD author names → <meta name=author> / article:author → trafilatura
             (which also reads bylines), split and cleaned of roles, dates, page furniture.
  text       trafilatura's plain text (precision mode, balanced as a fallback), without a
             first line that only repeats the title.
Not-an-article rules (``reason``), first match wins: not-html, empty, too-large, unparseable,
challenge/captcha/consent/paywall (``archive.extract.blockpage``), soft-404, no-text, listing,
the page kinds of ``archive.extract.sitepages`` (site-page, author-page, tag-page, section-page,
collection, gallery, video-hub), decode-error, too-short; a crash is "extract-error: <Type>".
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Any

import trafilatura
from htmldate import find_date
from lxml.html import HtmlElement
from trafilatura import metadata as tmeta

from archive.extract.blockpage import block_reason
from archive.extract.markup import (
    AUTHOR_META_KEYS,
    MODIFIED_KEYS,
    PUBLISHED_KEYS,
    _canonical,
    _clean,
    _clean_authors,
    _json_ld_objects,
    _language,
    _ld_author_names,
    _meta_values,
    _page_dates,
    _pick_published,
    _pick_title,
    _site_keys,
    content_hash,
    decode_html,
    normalise_text,
)
from archive.extract.pagekind import (
    MAX_HTML_BYTES,
    MIN_TEXT_CHARS,
    _looks_like_html,
    _not_article_reason,
    _text_size,
)
from archive.extract.result import Extraction
from archive.extract.sitepages import site_page_kind

# lxml refuses a str that still carries an XML encoding declaration.
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*>")


# --------------------------------------------------------------------------- entry point


def extract_page(body: bytes, url: str, content_type: str | None = None,
                 hints: dict[str, Any] | None = None) -> Extraction:
    """Extract one page. Never raises: failures are ``is_article=False`` with a reason."""
    if not body.strip():
        return Extraction(False, "empty")
    if not _looks_like_html(body, content_type):
        return Extraction(False, "not-html")
    if len(body) > MAX_HTML_BYTES:
        return Extraction(False, "too-large")
    try:
        return _extract(body, url, content_type, hints or {})
    except Exception as exc:  # noqa: BLE001 - a parser failure is a property of this page
        return Extraction(False, f"extract-error: {type(exc).__name__}")


def _run_trafilatura(tree: HtmlElement, url: str) -> Any:
    """trafilatura's Document (text only), or None when it found no text.

    Precision mode first: on the corpus it drops captions, kickers and teaser blocks from the
    text (full-text similarity 91% → 94% of pages). It runs without trafilatura's fallback
    extractors (``fast``): they cost 40% of the time, and with the re-run below the shared
    corpus kept all 394 articles and lost body similarity on 1 of 374 checked pages.
    When precision keeps too little (short pieces, CJK pages, markup only the fallbacks read)
    the balanced mode runs with the fallbacks and the longer text wins.
    Metadata is not asked for here: ``_TrafilaturaMeta`` computes only what the page lacks.
    """
    doc = trafilatura.bare_extraction(tree, url=url, with_metadata=False, include_comments=False,
                                      favor_precision=True, fast=True)
    if doc is not None and _text_size(_text_of(doc)) >= MIN_TEXT_CHARS:
        return doc
    balanced = trafilatura.bare_extraction(tree, url=url, with_metadata=False, include_comments=False)
    if doc is None or (balanced is not None and len(_text_of(balanced)) > len(_text_of(doc))):
        return balanced
    return doc


def _text_of(doc: Any) -> str:
    """The text of what ``bare_extraction`` returned: a Document (or, with ``as_dict``, a dict)."""
    text = doc.get("text") if isinstance(doc, dict) else doc.text
    return text or ""


class _TrafilaturaMeta:
    """trafilatura's metadata steps, each run only when asked for.

    Its one-shot ``extract_metadata`` always runs htmldate's date search and a deep copy of the
    page for bylines; those were half of the extraction time, and both are fallbacks here
    (page markup and JSON-LD come first), so they run only for pages that need them.
    """

    def __init__(self, tree: HtmlElement, url: str) -> None:
        self.tree, self.url = tree, url
        self.doc = tmeta.examine_meta(tree)
        if self.doc.author and " " not in self.doc.author:
            self.doc.author = None  # as trafilatura does: single tokens are handles, not names
        try:
            self.doc = tmeta.extract_meta_json(tree, self.doc)
        except Exception:  # noqa: BLE001 - trafilatura's JSON-LD reader has known bugs; ours covers it
            pass

    def title(self) -> str | None:
        return self.doc.title or tmeta.extract_title(self.tree)

    def author(self) -> str | None:
        return self.doc.author or tmeta.extract_author(self.tree)

    def sitename(self) -> str | None:
        return self.doc.sitename or tmeta.extract_sitename(self.tree)

    def date(self) -> str | None:
        # htmldate's defaults as trafilatura sets them, but asking for the time of day too.
        return find_date(self.tree, url=self.url, original_date=True, extensive_search=True,
                         outputformat="%Y-%m-%dT%H:%M:%S%z",
                         max_date=datetime.now(timezone.utc).strftime("%Y-%m-%d"))


def _extract(body: bytes, url: str, content_type: str | None, hints: dict[str, Any]) -> Extraction:
    html = _XML_DECL.sub("", decode_html(body, content_type), count=1)
    if not html.strip():
        return Extraction(False, "empty")
    tree = trafilatura.load_html(html)
    if tree is None:
        return Extraction(False, "unparseable")
    meta = _meta_values(tree)
    ld = _json_ld_objects(tree)
    page_published = _page_dates(tree, meta, ld, PUBLISHED_KEYS, "datePublished")
    doc = _run_trafilatura(tree, url)  # works on a copy of ``tree``
    tmd = _TrafilaturaMeta(tree, url)

    text = ((doc.text if doc is not None else "") or "").strip()
    # og:site_name first: trafilatura falls back to the host name when a page has none.
    site_name = next(iter(meta.get("og:site_name", ())), None) or _clean(tmd.sitename())
    title = _pick_title(tree, meta, ld, _clean(tmd.title()), _site_keys(url, [site_name]), hints)
    authors = _clean_authors(_ld_author_names(ld))
    if not authors:
        authors = _clean_authors(v for key in AUTHOR_META_KEYS for v in meta.get(key, ()))
    if not authors:  # trafilatura also reads bylines in the page body
        authors = _clean_authors((tmd.author() or "").split(";"))
    first, _, rest = text.partition("\n")
    if title and rest and normalise_text(first) == normalise_text(title):
        text = rest.strip()  # the headline is stored as the title, not as the first paragraph
    published = _pick_published(page_published, None if page_published else tmd.date(), hints)
    modified = _page_dates(tree, meta, ld, MODIFIED_KEYS, "dateModified")
    title_el = tree.find(".//title")
    titles = [title, title_el.text_content() if title_el is not None else None]
    # Challenge/CAPTCHA/consent/paywall pages first: their few words would otherwise pass as a short page.
    reason = block_reason(html, tree, text) or _not_article_reason(
        text, titles, tree, url, MIN_TEXT_CHARS, page_kind=lambda: site_page_kind(tree, meta, ld, url, text))
    return Extraction(
        is_article=reason is None,
        reason=reason,
        title=title,
        authors=authors,
        published=published,
        modified=modified[0][0].isoformat() if modified else None,
        language=_language(tree, meta, tmd.doc.language),
        canonical_url=_canonical(tree, meta, url),
        description=_clean(tmd.doc.description) or next(iter(meta.get("og:description", ())), None),
        site_name=site_name,
        text=text,
        content_hash=content_hash(text),
    )
