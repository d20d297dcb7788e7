"""A seeded generator of news sites served on 127.0.0.1, with ground truth and a request log.

``GeneratedSite(seed)`` builds a few outlets from ``random.Random(seed)``; each one varies:

- its article URL scheme: dated (``/2026/11/03/slug/``), numeric (``/news/123456``), slug only,
  ``.html`` or a query id (``/article.php?id=123``);
- the link variants its listing pages use for articles: ``?ref=home``, ``utm_*``, ``fbclid``,
  ``gclid``, ``mc_cid``, ``cmpid``, ``ito``, ``taid``, ``#comments``, a toggled trailing slash,
  absolute links.  (Host case cannot vary: the outlets live on 127.0.0.1, which has no case;
  absolute links stand in for a second spelling of the same URL);
- AMP copies (``/amp/...`` or ``?amp=1``, with the ``rel=amphtml``/``rel=canonical`` pair) and
  print copies (``?print=1``, linked from the article, canonical to it);
- per article, whether ``rel=canonical`` and ``og:url`` are present;
- non-article pages: about, contact, two legal pages, photo galleries (18 captioned images),
  a video hub, author and tag pages, a section paginated with ``?page=N``;
- a sitemap index over two article sitemaps and a sitemap of non-article pages (with or without
  ``<lastmod>``), a Google News sitemap (or none), an RSS or an Atom feed (with or without dates),
  robots.txt with ``Sitemap:`` lines;
- validators: ETag only, Last-Modified only, or none (304 when the client's validators match).

Article bodies are the corpus pages of ``tests/data/corpus`` (through ``tests.localsite.pages``'
rewriting), each with a seeded lead paragraph.  ``advance(round=2)`` edits ~12% of each outlet's
live articles (at least two: half announced by a moved ``<lastmod>``/Atom ``updated`` when the outlet has
such a channel, the others silent), removes ~5% (at least one; 404 or 410) and adds one per outlet.  Dates derive from ``model.BASE_DATE``, never the clock.

Ground truth: ``real_articles()`` (canonical URL → article), ``non_article_urls()``,
``changes[round]``.  Server log: ``log`` (``LogEntry`` per request: path, query, headers,
status, bytes sent, time, in-flight count) and ``max_in_flight`` per outlet.
``outlets_toml()`` gives the crawler's outlets file (a small per-outlet ``download_delay``;
AutoThrottle stays on).  ``hold(path)`` parks requests for a path until released, so a test can
SIGKILL a crawl at an exact point of its discovery.

Modules: ``model`` (records) · ``urls`` (URL grammar) · ``plan`` (seeded choices, corpus) ·
``render`` (HTML) · ``feeds`` (robots, sitemaps, feeds) · ``router`` · ``server`` · ``site`` ·
``crawl`` (the real CLI) · ``measure`` (crawl-quality figures from the log, the ground truth and the archive).
"""

from __future__ import annotations

from .model import (
           BASE_DATE,
           GenArticle,
           GenOutlet,
           GenPage,
           LogEntry,
           OutletPlan,
           RoundChanges,
)
from .site import GeneratedSite

__all__ = ["BASE_DATE", "GenArticle", "GenOutlet", "GenPage", "GeneratedSite", "LogEntry", "OutletPlan",
           "RoundChanges"]
