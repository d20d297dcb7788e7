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
  title      chosen by agreement among <h1>, og:title, JSON-LD headline, twitter:title and
             <title>, the site name and kickers cut (``archive.extract.titles``).
  authors    people from JSON-LD Person → <meta name=author> → the byline shown (author and byline
             elements, author-page links, a "By" line; it wins when it names the declared authors
             and more) → trafilatura; organisations apart, only when nobody is named
             (``archive.extract.bylines``).
  published  the article's own dates (JSON-LD, meta, itemprop, its <time>) → htmldate → the URL;
             the discovery hint when the page agrees within a day; with the local publication
             day and the source (``archive.extract.dates``).
  text       trafilatura's plain text (precision mode, balanced when precision is near the
             threshold or much shorter than the article markup), without a first line that only
             repeats the title nor newsletter prompts at its edges (``archive.extract.textclean``).
  language   declared by the page, else detected (``archive.extract.language``).
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
from archive.extract.bylines import pick_authors
from archive.extract.dates import (
    MODIFIED_KEYS,
    PUBLISHED_KEYS,
    DateReader,
    as_printed,
    host_zone,
    outlet_zone,
    page_candidates,
    pick_modified,
    pick_published,
    printed_date,
)
from archive.extract.language import declared_language, declared_region, detect_language
from archive.extract.markup import (
    _canonical,
    _clean,
    _json_ld_objects,
    _meta_values,
    article_elements,
    content_hash,
    decode_html,
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
from archive.extract.textclean import drop_repeated_title, strip_prompts
from archive.extract.titles import pick_title
from archive.extract.titlesites import name_keys, site_keys

# lxml refuses a str that still carries an XML encoding declaration.
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*>")
NEAR_THRESHOLD = 1.5  # precision text under 1.5x MIN_TEXT_CHARS: try the balanced pass too
MARKUP_SHARE = 0.5  # precision kept under half the article markup's paragraph text: try balanced
PAGE_SHARE = 0.25  # … or, with no one article element, under a quarter of the page's paragraph text


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


def _run_trafilatura(tree: HtmlElement, url: str, ld: list[dict[str, Any]]) -> Any:
    """trafilatura's Document (text only), or None when it found no text.

    Precision mode first: on the corpus it drops captions, kickers and teaser blocks from the
    text (full-text similarity 91% → 94% of pages). It runs without trafilatura's fallback
    extractors (``fast``): they cost 40% of the time.
    The balanced mode (with the fallbacks) runs too when precision keeps little: below
    ``NEAR_THRESHOLD`` times the article threshold (pages just over it were marked too-short or
    listing while balanced found 4-40x more), or less than ``MARKUP_SHARE`` of the paragraph
    text inside the page's own article markup, or of the JSON-LD ``articleBody``, or, with neither,
    less than ``PAGE_SHARE`` of all the page's paragraph text (precision can keep a sidebar box of
    a page whose article has no markup of its own). The longer text wins.
    Metadata is not asked for here: ``_TrafilaturaMeta`` computes only what the page lacks.
    """
    doc = trafilatura.bare_extraction(tree, url=url, with_metadata=False, include_comments=False,
                                      favor_precision=True, fast=True)
    size = _text_size(_text_of(doc)) if doc is not None else 0
    if size >= NEAR_THRESHOLD * MIN_TEXT_CHARS and size >= _expected_share(tree, ld):
        return doc
    balanced = trafilatura.bare_extraction(tree, url=url, with_metadata=False, include_comments=False)
    if doc is None or (balanced is not None and len(_text_of(balanced)) > len(_text_of(doc))):
        return balanced
    return doc


def _expected_share(tree: HtmlElement, ld: list[dict[str, Any]]) -> float:
    """The least text the precision pass should keep: a share of the paragraph text inside the
    page's one article element (``<article>``, ``articleBody``), else of the JSON-LD
    ``articleBody``, else a smaller share of all the page's paragraph text."""
    bodies = article_elements(tree)
    if len(bodies) == 1:
        return MARKUP_SHARE * sum(len(p.text_content()) for p in bodies[0].iter("p"))
    declared = max((len(o["articleBody"]) for o in ld if isinstance(o.get("articleBody"), str)), default=0)
    if declared:
        return MARKUP_SHARE * declared
    return PAGE_SHARE * sum(len(p.text_content()) for p in tree.iter("p"))


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
    declared = declared_language(tree, meta)
    zone = outlet_zone(hints.get("timezone")) or host_zone(url)
    reader = DateReader(url, declared, zone, datetime.now(timezone.utc), declared_region(tree, meta))
    page_published = page_candidates(tree, meta, ld, reader, PUBLISHED_KEYS, "datePublished")
    doc = _run_trafilatura(tree, url, ld)  # works on a copy of ``tree``
    tmd = _TrafilaturaMeta(tree, url)

    text = ((doc.text if doc is not None else "") or "").strip()
    # og:site_name first: trafilatura falls back to the host name when a page has none.
    site_name = next(iter(meta.get("og:site_name", ())), None) or _clean(tmd.sitename())
    site_names = [site_name, *_publisher_names(ld)]
    title = pick_title(tree, meta, ld, url, site_names, _clean(tmd.title()), hints)
    description = _clean(tmd.doc.description) or next(iter(meta.get("og:description", ())), None)
    text = strip_prompts(drop_repeated_title(text, title))
    language = declared or detect_language(text, title, description)
    outlet_names = [*site_names, *(hints.get("site_names") or ())]  # learned across the outlet
    brands = site_keys(url, outlet_names)
    credits = pick_authors(tree, meta, ld, language, brands, name_keys(outlet_names), tmd.author)
    published = pick_published(page_published, lambda: as_printed(tmd.date(), html, reader), reader, hints,
                               lambda: printed_date(tree, reader))
    modified = pick_modified(page_candidates(tree, meta, ld, reader, MODIFIED_KEYS, "dateModified"))
    title_el = tree.find(".//title")
    titles = [title, title_el.text_content() if title_el is not None else None]
    # Challenge/CAPTCHA/consent/paywall pages first: their few words would otherwise pass as a short page.
    reason = block_reason(html, tree, text) or _not_article_reason(
        text, titles, tree, url, MIN_TEXT_CHARS, page_kind=lambda: site_page_kind(tree, meta, ld, url, text))
    return Extraction(
        is_article=reason is None,
        reason=reason,
        title=title,
        authors=credits.people,
        author_orgs=credits.organisations,
        published=published.instant.isoformat() if published else None,
        published_day=published.day if published else None,
        date_source=published.source if published else None,
        modified=modified.instant.isoformat() if modified else None,
        language=language,
        canonical_url=_canonical(tree, meta, url),
        description=description,
        site_name=site_name,
        text=text,
        content_hash=content_hash(text),
    )


def _publisher_names(ld: list[dict[str, Any]]) -> list[str]:
    """The JSON-LD publisher's name(s): the outlet's brand, for titles and bylines."""
    names = []
    for obj in ld:
        publisher = obj.get("publisher")
        for entry in publisher if isinstance(publisher, list) else [publisher]:
            name = entry.get("name") if isinstance(entry, dict) else None
            if isinstance(name, str) and name.strip():
                names.append(name.strip())
    return names
