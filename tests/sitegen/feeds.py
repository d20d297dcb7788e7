"""Machine-readable discovery documents of a generated outlet: robots.txt with ``Sitemap:``
lines, a sitemap index (``<lastmod>`` per the plan) over two article sitemaps and one sitemap of
non-article pages, a Google News sitemap, and an RSS or Atom feed (dated per the plan).

Dates come from article state only (``published``, ``lastmod``), so an edit moves a
``<lastmod>`` or feed ``updated`` exactly when the ground truth calls it announced.
"""

from __future__ import annotations

from email.utils import format_datetime
from xml.sax.saxutils import escape

from .model import BASE_DATE, GenArticle, GenOutlet

FEED_SIZE = 15
NEWS_SITEMAP_SIZE = 10
SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"


def _w3c(art: GenArticle) -> str:
    return art.lastmod.isoformat(timespec="seconds")


def robots(outlet: GenOutlet) -> bytes:
    lines = [f"# robots.txt for {outlet.display_name}", "User-agent: *", "Disallow: /search", "Allow: /", "",
             f"Sitemap: {outlet.base_url}/sitemap_index.xml"]
    if outlet.plan.news_sitemap:
        lines.append(f"Sitemap: {outlet.base_url}/news-sitemap.xml")
    return ("\n".join(lines) + "\n").encode("utf-8")


def _halves(outlet: GenOutlet) -> tuple[list[GenArticle], list[GenArticle]]:
    live = outlet.live()
    half = (len(live) + 1) // 2
    return live[:half], live[half:]


def sitemap_index(outlet: GenOutlet) -> bytes:
    rows = []
    children = [("sitemaps/articles-1.xml", _halves(outlet)[0]), ("sitemaps/articles-2.xml", _halves(outlet)[1]),
                ("sitemaps/pages.xml", [])]
    for name, arts in children:
        lastmod = ""
        if outlet.plan.sitemap_lastmod:
            newest = max((a.lastmod for a in arts), default=BASE_DATE)
            lastmod = f"<lastmod>{newest.isoformat(timespec='seconds')}</lastmod>"
        rows.append(f"<sitemap><loc>{outlet.base_url}/{name}</loc>{lastmod}</sitemap>\n")
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<sitemapindex xmlns="{SITEMAP_NS}">\n'
            + "".join(rows) + "</sitemapindex>\n").encode("utf-8")


def article_sitemap(outlet: GenOutlet, part: int) -> bytes:
    rows = []
    for art in _halves(outlet)[part - 1]:
        lastmod = f"<lastmod>{_w3c(art)}</lastmod>" if outlet.plan.sitemap_lastmod else ""
        rows.append(f"<url><loc>{escape(outlet.base_url + art.path)}</loc>{lastmod}</url>\n")
    return _urlset("".join(rows))


def pages_sitemap(outlet: GenOutlet) -> bytes:
    """Non-article pages, as real CMSs list them next to their stories."""
    rows = [f"<url><loc>{escape(outlet.base_url + p.path)}</loc></url>\n"
            for p in outlet.pages if p.kind in ("about", "contact", "legal", "gallery", "video")]
    return _urlset("".join(rows))


def _urlset(rows: str, extra_ns: str = "") -> bytes:
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="{SITEMAP_NS}"{extra_ns}>\n'
            + rows + "</urlset>\n").encode("utf-8")


def news_sitemap(outlet: GenOutlet) -> bytes:
    rows = []
    for art in outlet.live()[:NEWS_SITEMAP_SIZE]:
        rows.append(
            f"<url><loc>{escape(outlet.base_url + art.path)}</loc><news:news><news:publication>"
            f"<news:name>{escape(outlet.display_name)}</news:name><news:language>en</news:language>"
            f"</news:publication><news:publication_date>{art.published.isoformat(timespec='seconds')}"
            f"</news:publication_date><news:title>{escape(art.title)}</news:title></news:news></url>\n")
    return _urlset("".join(rows), ' xmlns:news="http://www.google.com/schemas/sitemap-news/0.9"')


def rss(outlet: GenOutlet) -> bytes:
    items = []
    for art in outlet.live()[:FEED_SIZE]:
        url = escape(outlet.base_url + art.path)
        date = f"<pubDate>{format_datetime(art.published)}</pubDate>" if outlet.plan.feed_dates else ""
        items.append(f"<item><title>{escape(art.title)}</title><link>{url}</link>"
                     f'<guid isPermaLink="true">{url}</guid>{date}</item>\n')
    name = escape(outlet.display_name)
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0">\n<channel>\n'
            f"<title>{name}</title><link>{outlet.base_url}/</link><description>{name}</description>\n"
            + "".join(items) + "</channel>\n</rss>\n").encode("utf-8")


def atom(outlet: GenOutlet) -> bytes:
    arts = outlet.live()[:FEED_SIZE]
    dated = outlet.plan.feed_dates
    entries = []
    for art in arts:
        dates = f"<published>{art.published.isoformat()}</published><updated>{_w3c(art)}</updated>" if dated else ""
        entries.append(f"<entry><title>{escape(art.title)}</title>"
                       f'<link rel="alternate" href="{escape(outlet.base_url + art.path)}"/>'
                       f"<id>{escape(outlet.base_url + art.path)}</id>{dates}</entry>\n")
    newest = max((a.lastmod for a in arts), default=BASE_DATE)
    updated = f"<updated>{newest.isoformat(timespec='seconds')}</updated>" if dated else ""
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">\n'
            f"<title>{escape(outlet.display_name)}</title><id>{outlet.base_url}/</id>{updated}\n"
            + "".join(entries) + "</feed>\n").encode("utf-8")
