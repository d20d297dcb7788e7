"""A small local press site for the story tests: one story syndicated on three outlets (each with
its own boilerplate), an edited rewrite, a truncated "read more" copy, an exact copy, unrelated
articles on the same topic, and unrelated articles. One stdlib HTTP server per outlet on
127.0.0.1 (port 0), with robots.txt, a sitemap and a homepage linking every article.

Texts are named corpus bodies (tests/data/corpus, ``TEXTS``), varied by ``tests.storykit``
(seeded), so the expected grouping is known: ``StorySite.expected`` maps each story's key to the
(outlet, slug) pairs that must share a story; every other article is alone in its own.
"""

from __future__ import annotations

import html
import random
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from tests import storykit

CORPUS = Path(__file__).resolve().parent / "data" / "corpus"
OUTLETS = ("wire", "daily", "courier", "gazette")
T0 = datetime(2026, 11, 2, 8, 0, tzinfo=timezone.utc)
# Stories A and B, two unrelated articles, then the texts the same-topic articles are made of: named,
# because the tests' expectations (titles, grouping) were worked out for these texts.
TEXTS = ("newspaper4k-cnn_article", "newspaper4k-fox13now_001", "newspaper4k-time_001",
         "newspaper4k-video_article_02", "newspaper4k-yna_co_kr", "readability-aclu", "readability-videos-2")


@dataclass(frozen=True)
class Piece:
    outlet: str
    slug: str
    title: str
    text: str
    published: datetime
    story: str | None  # the key of the story it belongs to; None: alone

    @property
    def path(self) -> str:  # dated, as news URLs are (an undated /news/<slug>/ reads as a section)
        return f"/news/{self.published:%Y/%m/%d}/{self.slug}/"


def _pieces(seed: int) -> list[Piece]:
    rng = random.Random(seed)
    texts = storykit.named_texts(TEXTS, pages=CORPUS)
    (title_a, a), (title_b, b), (title_c, c), (title_d, d) = texts[:4]
    others = [body for _, body in texts[4:]]
    hour = timedelta(hours=1)
    return [
        # story A: the wire's original, syndicated by two outlets with their own boilerplate,
        # and rewritten (lightly edited) by a third
        Piece("wire", "storm-wire", title_a, a, T0, "A"),
        Piece("daily", "storm-syndicated", title_a, storykit.syndicate(a, rng, "Daily"), T0 + hour, "A"),
        Piece("courier", "storm-syndicated", title_a, storykit.syndicate(a, rng, "Courier"), T0 + 2 * hour, "A"),
        Piece("gazette", "storm-rewrite", f"{title_a} (updated)", storykit.edit(a, rng), T0 + 3 * hour, "A"),
        # story B: the daily's scoop, a truncated "read more" copy on the wire, an exact copy
        Piece("daily", "scoop", title_b, b, T0 + 30 * timedelta(minutes=1), "B"),
        Piece("wire", "scoop-teaser", title_b, storykit.truncate(b, rng), T0 + 5 * hour, "B"),
        Piece("courier", "scoop-copy", title_b, b, T0 + 6 * hour, "B"),
        # the same topics, written independently: never in story A or B
        Piece("courier", "storm-explainer", f"{title_a}: explainer",
              storykit.same_topic(a, title_a, others, rng), T0 + 4 * hour, None),
        Piece("gazette", "scoop-analysis", f"{title_b}: analysis",
              storykit.same_topic(b, title_b, others, rng), T0 + 7 * hour, None),
        # unrelated
        Piece("wire", "other-news", title_c, c, T0 + 8 * hour, None),
        Piece("gazette", "more-news", title_d, d, T0 + 9 * hour, None),
    ]


def _article_html(outlet: str, piece: Piece, base_url: str) -> bytes:
    paras = "\n".join(f"<p>{html.escape(p)}</p>" for p in storykit.paragraphs(piece.text))
    name = outlet.capitalize()
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(piece.title)} | The {name}</title>
<link rel="canonical" href="{base_url}{piece.path}">
<meta property="og:type" content="article">
<meta property="article:published_time" content="{piece.published.isoformat()}">
</head><body>
<header><nav><a href="/">The {name}</a> · <a href="/">World</a> · <a href="/">Business</a> · <a href="/">Sport</a>
</nav></header>
<main><article>
<h1>{html.escape(piece.title)}</h1>
<p class="byline">By The {name} staff · <time datetime="{piece.published.isoformat()}">{piece.published:%d %B %Y}</time></p>
{paras}
</article>
<aside><h2>Most read at The {name}</h2><ul><li><a href="/">Our newsletter</a></li></ul></aside></main>
<footer><p>© 2026 The {name}. Terms · Privacy · Contact us.</p></footer>
</body></html>"""
    return page.encode("utf-8")


class StorySite:
    """``with StorySite() as site:`` serves the outlets; ``site.outlets_toml()`` for the crawler."""

    def __init__(self, seed: int = 13) -> None:
        self.pieces = _pieces(seed)
        self._servers: dict[str, ThreadingHTTPServer] = {}

    @property
    def expected(self) -> dict[str, set[tuple[str, str]]]:
        groups: dict[str, set[tuple[str, str]]] = {}
        for p in self.pieces:
            if p.story is not None:
                groups.setdefault(p.story, set()).add((p.outlet, p.slug))
        return groups

    def base_url(self, outlet: str) -> str:
        return f"http://127.0.0.1:{self._servers[outlet].server_address[1]}"

    def outlets_toml(self) -> str:
        return "\n".join(f'[[outlets]]\nname = "{o}"\nhomepage = "{self.base_url(o)}/"\n' for o in OUTLETS)

    def _pages(self, outlet: str) -> dict[str, tuple[str, bytes]]:
        base = self.base_url(outlet)
        mine = [p for p in self.pieces if p.outlet == outlet]
        links = "".join(f'<li><a href="{p.path}">{html.escape(p.title)}</a></li>' for p in mine)
        urls = "".join(f"<url><loc>{base}{p.path}</loc><lastmod>{p.published.isoformat()}</lastmod></url>"
                       for p in mine)
        pages = {
            "/": ("text/html; charset=utf-8",
                  f"<!doctype html><html><head><title>The {outlet}</title></head><body><ul>{links}</ul>"
                  "</body></html>".encode()),
            "/robots.txt": ("text/plain", f"User-agent: *\nAllow: /\nSitemap: {base}/sitemap.xml\n".encode()),
            "/sitemap.xml": ("application/xml", ('<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns='
                                                 f'"http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>')
                             .encode()),
        }
        for p in mine:
            pages[p.path] = ("text/html; charset=utf-8", _article_html(outlet, p, base))
        return pages

    def start(self) -> StorySite:
        for outlet in OUTLETS:
            self._servers[outlet] = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
        for outlet, server in self._servers.items():
            server.RequestHandlerClass = _handler(self._pages(outlet))
            threading.Thread(target=server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        for server in self._servers.values():
            server.shutdown()
            server.server_close()

    def __enter__(self) -> StorySite:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _handler(pages: dict[str, tuple[str, bytes]]) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (stdlib name)
            found = pages.get(self.path.split("?", 1)[0])
            if found is None:
                self.send_error(404)
                return
            kind, body = found
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    return Handler
