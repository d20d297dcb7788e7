"""Which page lives at which URL of one outlet: the router behind every request.

``route`` maps a path and its parsed query to a ``Page`` (status, body, content type, extra
headers, and the article it shows, if any).  The caller holds the site lock, so a page is a
consistent snapshot against concurrent mutations.  Listing pages (homepage, paginated and
faceted section, tag, author, endless calendar), robots.txt and the sitemap index are built
here; article bytes, sitemaps and feeds come from ``pages``.
"""

from __future__ import annotations

import gzip
import html
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone

from .model import PRIVATE_PATHS, TAGS, OutletSite, SiteArticle
from .pages import atom, headlines, html_page, jpeg, news_sitemap, pdf, rss, slugify, urlset, w3c

SECTION_PAGE_SIZE = 4
_UTM = "?utm_source=twitter&utm_medium=social"


@dataclass
class Page:
    """A routed response before negotiation (the handler adds validators, gzip, framing)."""

    status: int
    body: bytes
    content_type: str
    headers: list[tuple[str, str]] = field(default_factory=list)
    article: SiteArticle | None = None
    amp: bool = False


def route(outlet: OutletSite, path: str, query: dict[str, str]) -> Page:
    """The page at ``path``; call it holding the site lock."""
    xml, html_type = "application/xml", "text/html; charset=utf-8"
    if path == "/":
        return Page(200, _homepage(outlet), html_type, [
            ("Set-Cookie", "session=localsite; Path=/; HttpOnly"),
            ("Set-Cookie", "consent=accepted; Path=/; Max-Age=31536000"),
        ])
    if path == "/robots.txt":
        return Page(200, _robots(outlet), "text/plain; charset=utf-8")
    if path == "/sitemap_index.xml":
        return Page(200, _sitemap_index(outlet), xml)
    if path == "/sitemap-articles-1.xml.gz":
        return Page(200, gzip.compress(urlset(outlet, _sitemap_halves(outlet)[0]), mtime=0),
                    "application/x-gzip")
    if path == "/sitemap-articles-2.xml":
        return Page(200, urlset(outlet, _sitemap_halves(outlet)[1]), xml)
    if path == "/news-sitemap.xml":
        return Page(200, news_sitemap(outlet), xml)
    if path == "/feed.rss":
        return Page(200, rss(outlet), "application/rss+xml; charset=utf-8")
    if path == "/feed.atom":
        return Page(200, atom(outlet), "application/atom+xml; charset=utf-8")
    if path == "/media/press-kit.pdf":
        return Page(200, pdf(f"{outlet.display_name} press kit"), "application/pdf")
    if path == "/media/poster.jpg":
        return Page(200, jpeg(), "image/jpeg")
    if path in PRIVATE_PATHS:
        return Page(200, html_page(outlet, "Secret story", "<p>Robots were asked not to read this.</p>"),
                    html_type)
    if path.startswith("/news/"):
        return _article_page(outlet, path)
    listing = _listing(outlet, path, query)
    if listing is not None:
        return Page(200, listing, html_type)
    return _not_found(outlet)


def _not_found(outlet: OutletSite) -> Page:
    return Page(404, html_page(outlet, "Page not found", "<p>Nothing lives at this address.</p>"),
                "text/html; charset=utf-8")


def _article_page(outlet: OutletSite, path: str) -> Page:
    for art in outlet.articles:
        amp = art.amp_path is not None and path in (art.amp_path, art.amp_path.rstrip("/"))
        if path in (art.path, art.path.rstrip("/")) or amp:
            if art.deleted:
                body = html_page(outlet, "Gone", "<p>This story has been removed.</p>")
                return Page(410, body, "text/html; charset=utf-8", article=art)
            return Page(200, art.amp_body if amp else art.body, art.content_type, article=art, amp=amp)
    return _not_found(outlet)


def _robots(outlet: OutletSite) -> bytes:
    return (
        f"# robots.txt for {outlet.display_name} (pressclips local test site)\n"
        "User-agent: *\nDisallow: /private/\nAllow: /\n\n"
        f"Sitemap: {outlet.base_url}/sitemap_index.xml\n"
        f"Sitemap: {outlet.base_url}/news-sitemap.xml\n"
    ).encode()


def _sitemap_halves(outlet: OutletSite) -> tuple[list[SiteArticle], list[SiteArticle]]:
    arts = outlet.live("sitemap")
    half = (len(arts) + 1) // 2
    return arts[:half], arts[half:]


def _sitemap_index(outlet: OutletSite) -> bytes:
    rows = []
    for name, arts in zip(("sitemap-articles-1.xml.gz", "sitemap-articles-2.xml"),
                          _sitemap_halves(outlet)):
        lastmod = max((a.last_modified for a in arts), default=datetime(2016, 1, 1, tzinfo=timezone.utc))
        rows.append(f"<sitemap><loc>{outlet.base_url}/{name}</loc><lastmod>{w3c(lastmod)}</lastmod></sitemap>\n")
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
        + "".join(rows) + "</sitemapindex>\n"
    ).encode("utf-8")


def _homepage(outlet: OutletSite) -> bytes:
    top = outlet.live("links")[:5]
    # URL variants of the same story: tracking parameters, a fragment, the plain path.
    variants = (_UTM, "#comments", "")
    items = [(a, a.path + variants[i % 3]) for i, a in enumerate(top)]
    main = (
        "<section><h2>Top stories</h2>\n" + headlines(items) + "</section>\n"
        '<p><a href="/section/news/">More news</a></p>\n'
        f'<p class="exclusive"><a href="{PRIVATE_PATHS[0]}">Exclusive: the secret story</a></p>\n'
        '<p><a href="/media/press-kit.pdf">Press kit (PDF)</a></p>\n'
        '<figure><img src="/media/poster.jpg" alt="Poster"><figcaption>'
        '<a href="/media/poster.jpg">Download the poster</a></figcaption></figure>\n'
    )
    return html_page(outlet, outlet.display_name, main)


def _listing(outlet: OutletSite, path: str, query: dict[str, str]) -> bytes | None:
    linked = outlet.live("links")
    if path == "/section/news/" or (m := re.fullmatch(r"/section/news/page/(\d+)/", path)):
        return _section(outlet, linked, 1 if path == "/section/news/" else int(m.group(1)), query)
    if m := re.fullmatch(r"/tag/([a-z0-9-]+)/", path):
        if m.group(1) not in TAGS:
            return None
        # Tag pages link without the trailing slash: same page, different URL.
        items = [(a, a.path.rstrip("/")) for a in linked if m.group(1) in a.tags]
        return html_page(outlet, f"Tag: {m.group(1)}", headlines(items))
    if m := re.fullmatch(r"/author/([a-z0-9-]+)/", path):
        arts = [a for a in linked if m.group(1) in {slugify(n) for n in a.authors}]
        names = {n for a in arts for n in a.authors if slugify(n) == m.group(1)}
        if not names:
            return None
        return html_page(outlet, f"Stories by {sorted(names)[0]}",
                         headlines([(a, a.path + "#comments") for a in arts]))
    if m := re.fullmatch(r"/calendar/(\d{4})/(\d{2})/", path):
        return _calendar(outlet, linked, int(m.group(1)), int(m.group(2)))
    return None


def _section(outlet: OutletSite, linked: list[SiteArticle], page: int,
             query: dict[str, str]) -> bytes | None:
    sort, tag = query.get("sort"), query.get("filter")
    arts = [a for a in linked if tag is None or tag in a.tags]
    if sort == "asc":
        arts = arts[::-1]
    pages = max(1, -(-len(arts) // SECTION_PAGE_SIZE))
    if page < 1 or page > pages:
        return None
    shown = arts[(page - 1) * SECTION_PAGE_SIZE : page * SECTION_PAGE_SIZE]
    items = [(a, a.path) for a in shown]
    amp = [f'<li><a href="{a.amp_path}">{html.escape(a.title)} (AMP)</a></li>' for a in shown if a.amp_path]
    pager = []
    if page > 1:
        prev = "/section/news/" if page == 2 else f"/section/news/page/{page - 1}/"
        pager.append(f'<a rel="prev" href="{prev}">Previous</a>')
    if page < pages:
        pager.append(f'<a rel="next" href="/section/news/page/{page + 1}/">Next</a>')
    facets = [f"?sort={s}" for s in ("asc", "desc")] + [f"?filter={t}" for t in TAGS]
    if query:  # faceted pages offer every combination, in both parameter orders
        facets += [f"?sort={s}&filter={t}" for s in ("asc", "desc") for t in TAGS]
        facets += [f"?filter={t}&sort={s}" for t in TAGS for s in ("asc", "desc")]
    main = (
        headlines(items)
        + ("\n<ul class=\"amp\">" + "".join(amp) + "</ul>" if amp else "")
        + '\n<nav class="pager">' + " ".join(pager) + "</nav>\n"
        + '<aside class="facets">'
        + " ".join(f'<a href="/section/news/{html.escape(f)}">{html.escape(f[1:])}</a>' for f in facets)
        + "</aside>\n"
    )
    if page == 1 and not query:
        main += f'<p class="promo"><a href="{PRIVATE_PATHS[1]}">Members only: the secret story</a></p>\n'
    return html_page(outlet, "News" if page == 1 else f"News, page {page}", main)


def _calendar(outlet: OutletSite, linked: list[SiteArticle], year: int, month: int) -> bytes | None:
    if not (1 <= year <= 9999 and 1 <= month <= 12):
        return None
    items = [(a, a.path + _UTM) for a in linked if (a.published.year, a.published.month) == (year, month)]
    prev_y, prev_m = (year, month - 1) if month > 1 else (year - 1, 12)
    next_y, next_m = (year, month + 1) if month < 12 else (year + 1, 1)
    nav = []
    if prev_y >= 1:
        nav.append(f'<a rel="prev" href="/calendar/{prev_y:04d}/{prev_m:02d}/">Previous month</a>')
    if next_y <= 9999:
        nav.append(f'<a rel="next" href="/calendar/{next_y:04d}/{next_m:02d}/">Next month</a>')
    main = headlines(items) + '\n<nav class="calendar">' + " ".join(nav) + "</nav>\n"
    return html_page(outlet, f"Archive {year:04d}-{month:02d}", main)
