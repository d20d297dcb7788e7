"""Pages that are not articles by their kind: the site's own pages, galleries, video hubs, author,
tag and section pages.

These often carry enough prose to pass the text rules of ``archive.extract.pagekind`` (an "About
us" page, a tag page with a paragraph of introduction, a gallery with long captions), so they are
recognised by what the site says they are, first match wins:

1. **Declared type.** JSON-LD ``AboutPage``/``ContactPage`` (site page), ``ProfilePage`` (author
   page), ``CollectionPage``/``SearchResultsPage`` (collection), ``ImageGallery``/``MediaGallery``
   (gallery), ``VideoGallery`` (video hub), or ``og:type`` ``profile``: when nothing on the page
   declares an article type. WordPress/Yoast, Arc and most news CMSs emit these.
2. **URL shape, when the page shows no sign of being an article** (no article-like JSON-LD type,
   no ``og:type=article``, no publication date in its metadata): the last path segment names a
   site page (``/about-us/``, ``/privacy-policy``), or an author/tag/topic/category/section/
   gallery/video segment is followed by at most one slug and an optional ``page/N``
   (``/tag/oscars/``, ``/author/jane-doe/page/2/``, ``/videos/``). Articles filed under such a
   word carry more path (``/sections/thetwo-way/2016/12/15/505723552/…``) or article metadata.
3. **A gallery by its content**, whatever the metadata (news CMSs publish galleries as
   ``NewsArticle``): a URL under a gallery word, or JSON-LD ``ImageGallery`` anywhere, with at least
   GALLERY_MIN_IMAGES content images and less than GALLERY_MAX_CHARS_PER_IMAGE of text per image.

Checked against the 428 article pages of tests/data/corpus and shared/corpus: none is flagged.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from lxml.html import HtmlElement

from archive.extract.dates import PUBLISHED_KEYS
from archive.extract.markup import _is_article_type

GALLERY_MIN_IMAGES = 8
GALLERY_MAX_CHARS_PER_IMAGE = 250

_DECLARED = {
    "aboutpage": "site-page", "contactpage": "site-page", "profilepage": "author-page",
    "collectionpage": "collection", "searchresultspage": "collection",
    "imagegallery": "gallery", "mediagallery": "gallery", "videogallery": "video-hub",
}
_SITE_PAGES = frozenset({
    "about", "about-us", "aboutus", "who-we-are", "contact", "contact-us", "contactus", "privacy",
    "privacy-policy", "privacy-notice", "terms", "terms-of-use", "terms-of-service", "terms-and-conditions",
    "legal", "imprint", "impressum", "careers", "jobs", "advertise", "advertising", "subscribe",
    "newsletter", "newsletters", "faq", "faqs", "help", "cookies", "cookie-policy", "accessibility",
    "masthead", "staff", "team", "our-team", "ethics", "corrections-policy", "editorial-standards", "sitemap",
})
_LISTING_WORDS = {
    "author": "author-page", "authors": "author-page", "writer": "author-page", "writers": "author-page",
    "contributor": "author-page", "contributors": "author-page", "people": "author-page", "profile": "author-page",
    "tag": "tag-page", "tags": "tag-page", "topic": "tag-page", "topics": "tag-page", "keyword": "tag-page",
    "category": "section-page", "categories": "section-page", "section": "section-page", "sections": "section-page",
    "gallery": "gallery", "galleries": "gallery", "photos": "gallery", "pictures": "gallery",
    "slideshow": "gallery", "slideshows": "gallery", "photo-gallery": "gallery",
    "video": "video-hub", "videos": "video-hub", "watch": "video-hub",
}
_GALLERY_WORDS = frozenset(word for word, kind in _LISTING_WORDS.items() if kind == "gallery")
_EXTENSION = re.compile(r"\.(?:s?html?|php|aspx?)$", re.I)
_PAGE_NUMBER = re.compile(r"^(?:page|p)$", re.I)
_NOT_CONTENT_IMAGE = re.compile(r"logo|icon|avatar|sprite|pixel|spacer|badge|blank", re.I)


def site_page_kind(tree: HtmlElement, meta: dict[str, list[str]], ld: list[dict[str, Any]],
                   url: str, text: str) -> str | None:
    """The kind of non-article page this is ("site-page", "author-page", "tag-page", "section-page",
    "collection", "gallery", "video-hub"), or None for a page that may be an article."""
    declares_article = any(_is_article_type(obj) for obj in ld)
    og_type = next(iter(meta.get("og:type", ())), "").strip().lower()
    if not declares_article:
        declared = _declared_kind(ld) or ("author-page" if og_type == "profile" else None)
        if declared:
            return declared
    segments = _segments(url)
    if not (declares_article or og_type == "article" or any(meta.get(key) for key in PUBLISHED_KEYS)):
        by_url = _kind_by_url(segments)
        if by_url:
            return by_url
    gallery_hint = any(s in _GALLERY_WORDS for s in segments) or _declared_kind(ld) == "gallery"
    if gallery_hint and _is_image_gallery(tree, text):
        return "gallery"
    return None


def _declared_kind(ld: list[dict[str, Any]]) -> str | None:
    for obj in ld:
        types = obj.get("@type")
        for name in types if isinstance(types, list) else [types]:
            if isinstance(name, str) and name.lower() in _DECLARED:
                return _DECLARED[name.lower()]
    return None


def _segments(url: str) -> list[str]:
    try:
        path = urlsplit(url).path
    except ValueError:
        return []
    return [_EXTENSION.sub("", s).lower() for s in path.split("/") if s]


def _kind_by_url(segments: list[str]) -> str | None:
    if not segments:
        return None  # the homepage is a listing; the listing rule handles it
    if segments[-1] in _SITE_PAGES:
        return "site-page"
    # Drop a trailing "page/N" (pagination), then look for KIND or KIND/slug at the end.
    if len(segments) >= 2 and segments[-1].isdigit() and _PAGE_NUMBER.match(segments[-2]):
        segments = segments[:-2]
    for position in (-1, -2):
        if len(segments) >= -position and segments[position] in _LISTING_WORDS:
            return _LISTING_WORDS[segments[position]]
    return None


def _is_image_gallery(tree: HtmlElement, text: str) -> bool:
    """Many content images and little text for each: a gallery, not an illustrated article."""
    images = set()
    for img in tree.iter("img"):
        src = img.get("src") or img.get("data-src") or img.get("data-lazy-src") or ""
        if (not src or src.startswith("data:") or _NOT_CONTENT_IMAGE.search(src)
                or _NOT_CONTENT_IMAGE.search(img.get("class") or "")):
            continue
        if any(anc.tag in ("nav", "header", "footer", "aside") for anc in img.iterancestors()):
            continue
        width = img.get("width") or ""
        if width.isdigit() and int(width) < 150:
            continue  # thumbnails and icons
        images.add(src)
    return len(images) >= GALLERY_MIN_IMAGES and len(text) < GALLERY_MAX_CHARS_PER_IMAGE * len(images)
