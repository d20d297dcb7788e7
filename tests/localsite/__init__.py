"""A real multi-outlet news site on 127.0.0.1, built from the saved corpus pages.

This package owns the local test site that crawler end-to-end tests, benchmarks and
``pressclips demo`` crawl: one stdlib ``ThreadingHTTPServer`` per outlet, each on its own
loopback port, serving real article pages from ``tests/data/corpus`` (bytes unchanged except
for the canonical link) surrounded by the usual news-site furniture: robots.txt, sitemap
index (one gzipped child, one plain), Google News sitemap, RSS and Atom feeds, paginated
section pages, tag/author pages, an endless calendar, faceted URLs, AMP copies, tracking
and fragment URL variants, a robots-disallowed area, a PDF and an image.

Run it by hand with ``python -m tests.localsite --outlets 2 --port 0``.

Modules: ``model`` (the article/outlet/request-log records and the shared tags and private
paths) · ``pages`` (every body served: article rewriting, AMP copies, HTML shell, sitemaps,
feeds, PDF/JPEG bytes, chunk framing, dates and slugs) · ``routes`` (which page lives at
which URL) · ``server`` (HTTP handler/server: negotiation, conditional GET, gzip/chunked,
request log, in-flight tracking) · ``site`` (``LocalSite``: corpus loading, outlet split,
lifecycle, mutation API) · ``__main__`` (the command line).

Article bytes: the corpus page exactly, except that every ``<link rel=canonical|amphtml>`` and
``<meta>`` naming ``og:url``/``twitter:url``/``*canonical``/``amphtml`` (all pointing at the
original host) is removed and ``<link rel="canonical" href="<local URL>">`` (plus
``rel="amphtml"`` for the AMP articles) is inserted right after ``<head>``.  The charset is
the one the page's meta declares (``Content-Type: text/html`` alone when it declares none).
JSON-LD and body links still name the original host, as on a real copied page; relative
links inside article bodies point nowhere on this site and get 404.

URL map per outlet: ``/`` (two Set-Cookie headers) · ``/robots.txt`` · ``/sitemap_index.xml``
→ ``/sitemap-articles-1.xml.gz`` (``application/x-gzip``, no Content-Encoding) and
``/sitemap-articles-2.xml`` · ``/news-sitemap.xml`` · ``/feed.rss`` · ``/feed.atom`` ·
``/section/news/``, ``/section/news/page/N/``, ``/section/news/?sort=..&filter=..`` ·
``/tag/<tag>/`` · ``/author/<name>/`` · ``/calendar/YYYY/MM/`` (prev/next forever) ·
``/news/YYYY/MM/DD/<slug>/`` (also served without the trailing slash and with any query;
``.../amp/`` for two articles) · ``PRIVATE_PATHS`` (robots-disallowed, served and logged if
asked) · ``/media/press-kit.pdf`` · ``/media/poster.jpg`` · anything else 404.  Link variants:
the homepage cycles ``?utm_source=twitter&utm_medium=social``, ``#comments`` and the plain
path; tag pages drop the trailing slash; author pages add ``#comments``; calendar pages add
the utm parameters; section pages also link the AMP URLs.

Discovery split (per outlet; articles ordered newest first, index 0 = newest):

    =====================  ======================================================
    articles               ``SiteArticle.discoverable_via``
    =====================  ======================================================
    newest ``front``       {links, sitemap, news_sitemap, rss, atom}: homepage,
    (``min(5, n-5)``)      section, sitemaps, news sitemap, both feeds
    the rest, cycling:     {links}           listing pages only (section/tag/author/calendar)
                           {sitemap}         a regular sitemap only
                           {rss}             RSS feed only
                           {atom}            Atom feed only
                           {links, sitemap, rss, atom}
    added by add_article   all five channels
    =====================  ======================================================

An article is never linked from any HTML page unless ``"links"`` is in its set, so a crawler
that skips one discovery path misses the articles that only that path announces.

Transfer details per article (``SiteArticle.index``): even index → gzip ``Content-Encoding``
when the request accepts gzip; index divisible by 3 → ``Transfer-Encoding: chunked`` with
hand-written framing.  ``LocalSite.last_body_sent`` (by absolute URL) and
``OutletSite.last_body_sent`` (by path incl. query) keep the last entity body exactly as sent
(gzip bytes when gzipped, the de-chunked payload when chunked); ``SiteArticle.last_sent_gzip``
and ``last_sent_chunked`` say how the article went out last time.

``max_in_flight`` counts a request from the moment its request line is parsed until its
response starts being written (``article_delay`` seconds of sleep sit inside that window).

Mutation API for incremental-crawl tests: ``add_article`` (takes an unused corpus page; by
default ``reserve=3`` pages are held back for it), ``edit_article`` (adds a paragraph after the first paragraph of the article text, moves
Last-Modified forward one hour, changes the ETag), ``delete_article`` (410 Gone from then on).
"""

from __future__ import annotations

from .model import PRIVATE_PATHS, TAGS, OutletSite, RequestLogEntry, SiteArticle
from .pages import amp_copy, find_charset, insert_paragraphs, rewrite_article
from .routes import SECTION_PAGE_SIZE
from .site import AMP_ARTICLES, CHANNELS, CORPUS_DIR, LocalSite

__all__ = [
    "AMP_ARTICLES",
    "CHANNELS",
    "CORPUS_DIR",
    "PRIVATE_PATHS",
    "SECTION_PAGE_SIZE",
    "TAGS",
    "LocalSite",
    "OutletSite",
    "RequestLogEntry",
    "SiteArticle",
    "amp_copy",
    "find_charset",
    "insert_paragraphs",
    "rewrite_article",
]
