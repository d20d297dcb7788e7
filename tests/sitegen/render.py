"""HTML bodies of a generated outlet: article pages (and their AMP and print copies) built from
corpus bytes, and every non-article page (homepage, section pages with ``?page=N``, tag and
author pages, galleries, the video hub, about/contact/legal).

Pure functions of the outlet state: the same state always renders the same bytes.  Listing
links use the outlet's variant kinds, picked per (article, page) from a hash, so the same page
keeps linking the same forms run after run while different pages disagree.
"""

from __future__ import annotations

import hashlib
import html
import random
import re

from tests.localsite.pages import amp_copy, insert_paragraphs, rewrite_article, slugify

from .model import GenArticle, GenOutlet, GenPage
from .plan import GALLERIES, TAGS, sentence
from .urls import amp_path, print_path, variant_href

SECTION_PAGE_SIZE = 8
_BODY_OPEN = re.compile(rb"<body\b[^>]*>", re.IGNORECASE)


def _digest(*parts: object) -> str:
    return hashlib.sha1("|".join(map(str, parts)).encode()).hexdigest()


def article_href(outlet: GenOutlet, art: GenArticle, where: str) -> str:
    """How the page at ``where`` links ``art``: one of the outlet's variants, or the clean path."""
    kinds = (*outlet.plan.variants, "clean")
    token = _digest(art.number, where)
    kind = kinds[int(token[:8], 16) % len(kinds)]
    return variant_href(kind, art.path, outlet.base_url, token[8:28])


def _article_source(art: GenArticle) -> bytes:
    return insert_paragraphs(art.source, art.charset, art.body_hint, [art.lead, *art.edits])


def article_body(outlet: GenOutlet, art: GenArticle) -> bytes:
    canonical = outlet.base_url + art.path
    amp = amp_path(outlet.plan.amp_style, art.path) if art.has_amp else None
    out = rewrite_article(_article_source(art), canonical, outlet.base_url + amp if amp else None)
    if not art.has_canonical:
        out = out.replace(f'\n<link rel="canonical" href="{html.escape(canonical)}">'.encode("ascii"), b"", 1)
    if art.has_og_url:
        head_end = out.lower().find(b"</head>")
        meta = f'<meta property="og:url" content="{html.escape(canonical)}">\n'.encode("ascii")
        if head_end >= 0:
            out = out[:head_end] + meta + out[head_end:]
    if outlet.plan.print_copies:
        tools = f'\n<p class="tools"><a href="{html.escape(print_path(art.path))}">Print this story</a></p>'
        match = _BODY_OPEN.search(out)
        if match:
            out = out[: match.end()] + tools.encode("ascii") + out[match.end():]
    return out


def amp_body(outlet: GenOutlet, art: GenArticle) -> bytes:
    """The AMP copy: scripts stripped, ``<html amp>``, rel=canonical always (AMP requires it)."""
    return amp_copy(_article_source(art), outlet.base_url + art.path)


def print_body(outlet: GenOutlet, art: GenArticle) -> bytes:
    """The print copy: the page with rel=canonical to the article, no AMP link, no print link."""
    return rewrite_article(_article_source(art), outlet.base_url + art.path)


def shell(outlet: GenOutlet, title: str, main: str, *, head: str = "") -> bytes:
    name = html.escape(outlet.display_name)
    tags = " ".join(f'<a href="/tag/{t}/">{t.title()}</a>' for t in TAGS)
    feed = "/feed.rss" if outlet.plan.feed_kind == "rss" else "/feed.atom"
    ftype = "application/rss+xml" if outlet.plan.feed_kind == "rss" else "application/atom+xml"
    page = f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{html.escape(title)} | {name}</title>
<link rel="alternate" type="{ftype}" title="{name}" href="{feed}">
{head}</head>
<body>
<header><a class="logo" href="/">{name}</a>
<nav><a href="/">Home</a> <a href="/section/news/">News</a> <a href="/video/">Video</a> {tags}</nav>
</header>
<main>
<h1>{html.escape(title)}</h1>
{main}
</main>
<footer><a href="/about/">About</a> <a href="/contact/">Contact</a> <a href="/legal/privacy/">Privacy</a>
<a href="/legal/terms/">Terms</a> {" ".join(f'<a href="/gallery/{g}/">Gallery</a>' for g in GALLERIES[:1])}
<p>&copy; {name}. Generated test site for pressclips.</p></footer>
</body>
</html>
"""
    return page.encode("utf-8")


def _headlines(outlet: GenOutlet, arts: list[GenArticle], where: str) -> str:
    if not arts:
        return '<p class="empty">No stories yet.</p>'
    rows = []
    for art in arts:
        href = html.escape(article_href(outlet, art, where))
        when = f' <time datetime="{art.published.isoformat()}">{art.published:%d %b %Y}</time>'
        byline = f' <a rel="author" href="/author/{slugify(art.author)}/">{html.escape(art.author)}</a>'
        rows.append(f'<li><a href="{href}">{html.escape(art.title)}</a>{when}{byline}</li>')
    return '<ul class="headlines">\n' + "\n".join(rows) + "\n</ul>"


def homepage(outlet: GenOutlet) -> bytes:
    live = outlet.live()
    amp_links = [
        f'<li><a href="{html.escape(p)}">{html.escape(a.title)} (fast version)</a></li>'
        for a in live[:6] if a.has_amp and (p := amp_path(outlet.plan.amp_style, a.path))
    ]
    main = ("<section><h2>Top stories</h2>\n" + _headlines(outlet, live[:8], "/") + "</section>\n"
            + ('<ul class="amp">' + "".join(amp_links) + "</ul>\n" if amp_links else "")
            + '<p><a href="/section/news/">More news</a></p>\n')
    return shell(outlet, outlet.display_name, main)


def section_page(outlet: GenOutlet, page: int) -> bytes | None:
    live = outlet.live()
    pages = max(1, -(-len(live) // SECTION_PAGE_SIZE))
    if not 1 <= page <= pages:
        return None
    shown = live[(page - 1) * SECTION_PAGE_SIZE: page * SECTION_PAGE_SIZE]
    pager = []
    if page > 1:
        pager.append(f'<a rel="prev" href="/section/news/{"" if page == 2 else f"?page={page - 1}"}">Previous</a>')
    if page < pages:
        pager.append(f'<a rel="next" href="/section/news/?page={page + 1}">Next</a>')
    main = _headlines(outlet, shown, f"/section/news/?page={page}") + '\n<nav class="pager">' + " ".join(pager) + "</nav>"
    return shell(outlet, "News" if page == 1 else f"News, page {page}", main)


def listing_page(outlet: GenOutlet, page: GenPage) -> bytes:
    """Author and tag pages: a short blurb and the stories."""
    live = outlet.live()
    if page.kind == "author":
        arts = [a for a in live if slugify(a.author) == page.path.split("/")[2]]
        blurb = f"<p>{html.escape(page.title)} writes about film and television.</p>"
    else:
        arts = [a for a in live if page.path.split("/")[2] in a.tags]
        blurb = f"<p>Everything we published about {html.escape(page.title.lower())}.</p>"
    return shell(outlet, page.title, blurb + "\n" + _headlines(outlet, arts, page.path))


def info_page(outlet: GenOutlet, page: GenPage) -> bytes:
    """About, contact and legal pages: plain paragraphs (legal ones long, like real policies)."""
    rng = random.Random(_digest(outlet.name, page.path))
    count = {"about": 3, "contact": 2, "legal": 12}[page.kind]
    paras = [" ".join(sentence(rng, 18) for _ in range(3)) for _ in range(count)]
    if page.kind == "contact":
        paras.append("Write to newsroom@example.org or call +1 555 0100.")
    return shell(outlet, page.title, "\n".join(f"<p>{html.escape(p)}</p>" for p in paras))


def gallery_page(outlet: GenOutlet, page: GenPage) -> bytes:
    """A photo gallery: many images with one-line captions, no article text."""
    rng = random.Random(_digest(outlet.name, page.path))
    slug = page.path.split("/")[2]
    figures = [
        f'<figure><img src="/media/{slug}/{i}.jpg" alt="Photo {i}" width="800" height="533">'
        f"<figcaption>{html.escape(sentence(rng, 9))}</figcaption></figure>"
        for i in range(1, 19)
    ]
    return shell(outlet, page.title, '<div class="gallery">\n' + "\n".join(figures) + "\n</div>")


def video_page(outlet: GenOutlet) -> bytes:
    """The video hub: players with short blurbs, each linking its story."""
    rng = random.Random(_digest(outlet.name, "/video/"))
    items = []
    for art in outlet.live()[:6]:
        href = html.escape(article_href(outlet, art, "/video/"))
        items.append(f'<div class="clip"><video controls src="/media/clip-{art.number}.mp4"></video>'
                     f'<p>{html.escape(sentence(rng, 8))} <a href="{href}">Read the story</a></p></div>')
    return shell(outlet, "Video", "\n".join(items) or '<p class="empty">No clips yet.</p>')
