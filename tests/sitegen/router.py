"""Which resource lives at which URL of a generated outlet.

``route`` maps a request's path and query to a ``Resource``.  Article URLs are matched by
``urls.request_key``: unknown query parameters (tracking, click ids) and a toggled trailing slash
are ignored, ``/amp/...`` or ``?amp=1`` picks the AMP copy and ``?print=1`` the print copy.
Removed articles answer their 404 or 410.  The caller holds the site lock.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from tests.localsite.pages import jpeg

from . import feeds, render
from .model import GenArticle, GenOutlet
from .urls import clean_key, request_key

HTML = "text/html; charset=utf-8"
XML = "application/xml"
# A few bytes that start like an MP4 file: the video hub's players point at these.
_MP4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + bytes(64)


@dataclass(frozen=True)
class Resource:
    status: int
    body: bytes
    content_type: str
    kind: str  # article | amp | print | listing | page | feed | sitemap | robots | media | missing
    article: GenArticle | None = None


def _missing(outlet: GenOutlet, status: int = 404, article: GenArticle | None = None) -> Resource:
    title = "Gone" if status == 410 else "Page not found"
    return Resource(status, render.shell(outlet, title, "<p>Nothing lives at this address.</p>"), HTML,
                    "missing", article)


def route(outlet: GenOutlet, path: str, query: str) -> Resource:
    documents: dict[str, tuple[Callable[[], bytes], str, str]] = {
        "/robots.txt": (lambda: feeds.robots(outlet), "text/plain; charset=utf-8", "robots"),
        "/sitemap_index.xml": (lambda: feeds.sitemap_index(outlet), XML, "sitemap"),
        "/sitemaps/articles-1.xml": (lambda: feeds.article_sitemap(outlet, 1), XML, "sitemap"),
        "/sitemaps/articles-2.xml": (lambda: feeds.article_sitemap(outlet, 2), XML, "sitemap"),
        "/sitemaps/pages.xml": (lambda: feeds.pages_sitemap(outlet), XML, "sitemap"),
    }
    if outlet.plan.news_sitemap:
        documents["/news-sitemap.xml"] = (lambda: feeds.news_sitemap(outlet), XML, "sitemap")
    if outlet.plan.feed_kind == "rss":
        documents["/feed.rss"] = (lambda: feeds.rss(outlet), "application/rss+xml; charset=utf-8", "feed")
    else:
        documents["/feed.atom"] = (lambda: feeds.atom(outlet), "application/atom+xml; charset=utf-8", "feed")
    if path in documents:
        build, ctype, kind = documents[path]
        return Resource(200, build(), ctype, kind)
    if path.startswith("/media/"):
        if path.endswith(".jpg"):
            return Resource(200, jpeg(), "image/jpeg", "media")
        if path.endswith(".mp4"):
            return Resource(200, _MP4, "video/mp4", "media")
        return _missing(outlet)
    key_path, key_id, amp, printed, page = request_key(path, query)
    article = _find_article(outlet, key_path, key_id)
    if article is not None:
        return _article(outlet, article, amp, printed)
    if key_path == "/":
        return Resource(200, render.homepage(outlet), HTML, "listing")
    if key_path == "/section/news":
        body = render.section_page(outlet, page)
        return Resource(200, body, HTML, "listing") if body is not None else _missing(outlet)
    for gen_page in outlet.pages:
        if gen_page.path.rstrip("/") == key_path and not amp and not printed:
            if gen_page.kind in ("author", "tag"):
                return Resource(200, render.listing_page(outlet, gen_page), HTML, "listing")
            if gen_page.kind == "gallery":
                return Resource(200, render.gallery_page(outlet, gen_page), HTML, "page")
            if gen_page.kind == "video":
                return Resource(200, render.video_page(outlet), HTML, "page")
            return Resource(200, render.info_page(outlet, gen_page), HTML, "page")
    return _missing(outlet)


def _find_article(outlet: GenOutlet, key_path: str, key_id: str) -> GenArticle | None:
    for art in outlet.articles:
        if clean_key(art.path) == (key_path, key_id):
            return art
    return None


def _article(outlet: GenOutlet, art: GenArticle, amp: bool, printed: bool) -> Resource:
    if art.removed_status is not None:
        return _missing(outlet, art.removed_status, art)
    ctype = f"text/html; charset={art.charset}" if art.charset else "text/html"
    if amp and art.has_amp:
        return Resource(200, render.amp_body(outlet, art), ctype, "amp", art)
    if printed and outlet.plan.print_copies:
        return Resource(200, render.print_body(outlet, art), ctype, "print", art)
    # A copy this article does not have (nothing links one): the CMS serves the article itself.
    return Resource(200, render.article_body(outlet, art), ctype, "article", art)
